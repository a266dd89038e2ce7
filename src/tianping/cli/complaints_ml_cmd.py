"""``tianping complaints train|classify|models``: the triage category classifier.

``train`` reads a CSV or XLSX of labelled texts (plus, by default, officers' corrections from the
database), prints the cross-validated macro-F1, and stores the model as the active one.
``classify`` writes the input rows back with ``predicted_category``, ``confidence`` and ``reasons``.
A missing column, an unreadable file or empty labels end with exit code 2 and one zh-CN line.
"""

from __future__ import annotations

import io
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tianping.cli.common import cli_actor, cli_errors, fail
from tianping.core.db import unit_of_work
from tianping.core.errors import FileRejected
from tianping.core.settings import get_settings
from tianping.core.timeutil import format_local
from tianping.registry.tabular import Sheet, check_xlsx_archive, read_sheet, write_rows

console = Console()
err_console = Console(stderr=True)

OUTPUT_COLUMNS = ("predicted_category", "confidence", "reasons")
BATCH = 2_000
ROWS_NAMED = 5  # row numbers quoted in an error line

InputOpt = Annotated[Path, typer.Option("--input", help="CSV（UTF-8 或 GBK）或 XLSX 文件", dir_okay=False)]
TextColOpt = Annotated[str, typer.Option("--text-column", help="文本所在列的表头")]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="XLSX 工作表名称（默认第一个）")]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_named_sheet(path: Path, sheet: str) -> Sheet:
    """One named worksheet of an XLSX, with the same archive guards as every import."""
    settings = get_settings()
    data = path.read_bytes()
    if len(data) > settings.import_max_bytes:
        raise FileRejected(f"文件过大：上限为 {settings.import_max_bytes / 1024 / 1024:.0f} MB")
    check_xlsx_archive(data, settings)
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on corrupt content
        raise FileRejected("XLSX 文件已损坏或格式不正确，无法读取") from None
    try:
        if sheet not in workbook.sheetnames:
            raise fail(f"工作表“{sheet}”不存在（现有：{'、'.join(workbook.sheetnames)}）")
        out = Sheet(header_row=0, headers=[])
        for number, row in enumerate(workbook[sheet].iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in row]
            if not any(cells):
                continue
            if not out.headers:
                out.header_row, out.headers = number, cells
            else:
                out.rows.append((number, cells))
                if len(out.rows) > settings.import_max_rows:
                    raise FileRejected(f"数据行过多：一次最多 {settings.import_max_rows} 行")
    finally:
        workbook.close()
    if not out.headers:
        raise FileRejected(f"工作表“{sheet}”为空：没有表头行")
    return out


def _read(path: Path, sheet: str | None) -> Sheet:
    if sheet and path.suffix.lower() == ".xlsx":
        return _read_named_sheet(path, sheet)
    return read_sheet(path, filename=path.name)


def _column(table: Sheet, name: str, option: str) -> int:
    try:
        return table.headers.index(name)
    except ValueError:
        present = "、".join(h for h in table.headers if h) or "无"
        raise fail(f"找不到 {option} 指定的列“{name}”（现有列：{present}）") from None


def _cells(table: Sheet, index: int) -> list[tuple[int, str]]:
    return [(number, cells[index].strip() if index < len(cells) else "") for number, cells in table.rows]


def _rows_named(numbers: Sequence[int]) -> str:
    shown = "、".join(str(n) for n in numbers[:ROWS_NAMED])
    return shown + (f" 等 {len(numbers)} 行" if len(numbers) > ROWS_NAMED else " 行")


def _check_out(out: Path) -> None:
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise fail(f"不支持的输出类型：{out.suffix or '（无扩展名）'}（请使用 .csv 或 .xlsx）")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``tianping complaints``."""
    app.command("train")(train_cmd)
    app.command("classify")(classify_cmd)
    app.command("models")(models_cmd)


@cli_errors
def train_cmd(
    input_file: InputOpt,
    text_column: TextColOpt,
    label_column: Annotated[str, typer.Option("--label-column", help="类别标签所在列的表头")],
    sheet: SheetOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="另存模型文件（.json.gz）", dir_okay=False)
    ] = None,
    with_corrections: Annotated[
        bool, typer.Option("--with-corrections/--no-corrections", help="追加数据库中的人工分类更正")
    ] = True,
    register_it: Annotated[
        bool, typer.Option("--register/--no-register", help="登记到数据库并设为当前启用的模型")
    ] = True,
    cv: Annotated[int, typer.Option("--cv", min=0, max=20, help="分层交叉验证折数（≤1 不做）")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="随机种子")] = 0,
) -> None:
    """训练投诉分类模型：字符 n-gram TF-IDF + 线性模型，输出交叉验证宏平均 F1。"""
    from tianping.complaints.classifier import TextClassifier, cross_validate
    from tianping.complaints.training import correction_rows, register_model

    table = _read(input_file, sheet)
    text_index = _column(table, text_column, "--text-column")
    label_index = _column(table, label_column, "--label-column")
    texts = _cells(table, text_index)
    labels = _cells(table, label_index)
    if not texts:
        raise fail("文件中没有数据行")
    empty_labels = [n for n, label in labels if not label]
    if empty_labels:
        raise fail(f"第 {_rows_named(empty_labels)}的标签为空（列“{label_column}”）")
    empty_texts = [n for n, text in texts if not text]
    if empty_texts:
        raise fail(f"第 {_rows_named(empty_texts)}的文本为空（列“{text_column}”）")
    all_texts = [t for _, t in texts]
    all_labels = [label for _, label in labels]
    extra: list[tuple[str, str]] = []
    if with_corrections:
        with unit_of_work() as session:
            extra = correction_rows(session=session)
        all_texts += [t for t, _ in extra]
        all_labels += [c for _, c in extra]
    counts = Counter(all_labels)
    if len(counts) < 2:
        raise fail(f"训练数据至少需要两个不同的类别（列“{label_column}”只有“{next(iter(counts))}”）")
    console.print(f"训练数据：{len(texts)} 行（文件）+ {len(extra)} 行（人工更正），{len(counts)} 个类别")
    labels_table = Table("类别", "行数")
    for label, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        labels_table.add_row(label, str(n))
    console.print(labels_table)

    metrics: dict[str, object] = {"source": input_file.name, "text_column": text_column}
    if cv > 1:
        with err_console.status(f"{cv} 折分层交叉验证中……"):
            result = cross_validate(all_texts, all_labels, folds=cv, seed=seed)
        folds = "  ".join(f"{f['macro_f1']:.3f}" for f in result["per_fold"])
        console.print(
            f"{cv} 折交叉验证：宏平均 F1 = {result['macro_f1']:.4f}，准确率 = {result['accuracy']:.4f}"
            f"（各折 F1：{folds}）"
        )
        metrics |= {
            "cv_folds": cv,
            "macro_f1": round(result["macro_f1"], 4),
            "accuracy": round(result["accuracy"], 4),
        }
    with err_console.status("训练中……"):
        model = TextClassifier.train(all_texts, all_labels, seed=seed)
    metrics |= {
        "C": model.info["C"],
        "temperature": round(model.temperature, 4),
        "vocabulary": model.vectorizer.size,
    }
    console.print(
        f"模型：词表 {model.vectorizer.size:,} 个 n-gram，"
        f"C = {model.info['C']}，温度 = {model.temperature:.3f}"
    )
    if out is not None:
        sha = model.save(out)
        console.print(f"模型文件已写入 {out}（SHA-256 {sha}）")
    if register_it:
        with unit_of_work() as session:
            row = register_model(
                session=session,
                classifier=model,
                path=out,
                rows=len(all_texts),
                corrections=len(extra),
                metrics=metrics,
                actor=cli_actor(),
            )
            model_id, model_path = row.id, row.path
        console.print(f"已登记为当前启用的分类模型 #{model_id}（{model_path}）")
    elif out is None:
        console.print("未保存模型：未指定 --out 且使用了 --no-register")


@cli_errors
def classify_cmd(
    model: Annotated[str, typer.Option("--model", help="模型文件路径，或 active（当前启用的模型）")],
    input_file: InputOpt,
    text_column: TextColOpt,
    out: Annotated[Path, typer.Option("--out", help="输出文件（.csv 或 .xlsx）", dir_okay=False)],
    sheet: SheetOpt = None,
) -> None:
    """用模型为文件中的每一行预测分类：输出原有各列，加 predicted_category、confidence、reasons。"""
    from tianping.complaints.classifier import KeywordClassifier, TextClassifier

    _check_out(out)
    classifier: TextClassifier | KeywordClassifier
    if model == "active":
        from tianping.complaints.training import active_classifier

        with unit_of_work() as session:
            classifier = active_classifier(session=session)
        if isinstance(classifier, KeywordClassifier):
            console.print("尚无启用的训练模型：使用分类目录关键词分类")
    else:
        classifier = TextClassifier.load(Path(model))
    table = _read(input_file, sheet)
    text_index = _column(table, text_column, "--text-column")
    texts = [text for _, text in _cells(table, text_index)]
    if not texts:
        raise fail("文件中没有数据行")
    predictions = []
    with err_console.status(f"分类 {len(texts):,} 行……"):
        for start in range(0, len(texts), BATCH):
            predictions.extend(classifier.predict(texts[start : start + BATCH]))
    width = len(table.headers)
    rows: list[list[object]] = [[*table.headers, *OUTPUT_COLUMNS]]
    for (_, cells), prediction in zip(table.rows, predictions, strict=True):
        padded = (cells + [""] * width)[:width]
        reasons = "；".join(f"{term}({weight:.3f})" for term, weight in prediction.reasons)
        rows.append([*padded, prediction.label, round(prediction.confidence, 4), reasons])
    write_rows(out, rows)
    threshold = get_settings().complaints_triage_min_confidence
    low = sum(1 for p in predictions if p.confidence < threshold)
    counts = Counter(p.label for p in predictions)
    summary = "，".join(f"{label} {n}" for label, n in counts.most_common())
    console.print(
        f"已分类 {len(predictions)} 行 → {out}（{summary}）；置信度低于 {threshold} 的 {low} 行需人工复核"
    )


@cli_errors
def models_cmd() -> None:
    """列出已登记的投诉分类模型。"""
    from tianping.complaints.training import list_models, model_status

    with unit_of_work() as session:
        models = list_models(session=session)
        table = Table(
            "编号", "登记时间", "启用", "状态", "行数", "人工更正", "类别数", "宏平均 F1", "SHA-256", "文件"
        )
        for m in models:
            f1 = m.metrics.get("macro_f1")
            table.add_row(
                str(m.id),
                format_local(m.created_at),
                "是" if m.active else "",
                model_status(m),
                str(m.rows),
                str(m.corrections),
                str(len(m.labels)),
                f"{f1:.4f}" if isinstance(f1, int | float) else "—",
                m.sha256[:12],
                m.path,
            )
    if not models:
        console.print("尚未登记任何分类模型（triage 使用分类目录关键词）")
        return
    console.print(table)
