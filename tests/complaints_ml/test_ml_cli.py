"""``tianping complaints train|classify|models`` on CSV and XLSX; user mistakes exit 2 with one line."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.complaints_ml.corpus import corpus
from tianping.cli.complaints_cmd import app
from tianping.complaints import training
from tianping.complaints.models import Correction, Ticket, TriageModel
from tianping.core.db import make_engine, set_engine
from tianping.core.timeutil import utcnow
from tianping.migrate import upgrade

HEADERS = ["编号", "内容", "类别", "备注"]


@pytest.fixture
def cli_db(tmp_path: Path) -> Iterator[Engine]:
    """Commands commit their own unit of work: give them a database of their own."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    engine = make_engine(url=url)
    set_engine(engine)
    training._CACHE.clear()
    yield engine
    set_engine(None)
    engine.dispose()
    training._CACHE.clear()


def _rows() -> list[list[str]]:
    texts, labels = corpus()
    return [[f"N{i}", text, label, "示例"] for i, (text, label) in enumerate(zip(texts, labels, strict=True))]


def write_csv(path: Path, rows: list[list[str]], headers: list[str] = HEADERS) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[str]], sheet: str = "Sheet1") -> Path:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = "说明"
    first.append(["本表为示例"])
    data = workbook.create_sheet(sheet)
    data.append(HEADERS)
    for row in rows:
        data.append(row)
    workbook.save(path)
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_train_csv_registers_and_classify_writes_rows(tmp_path: Path, cli_db: Engine) -> None:
    src = write_csv(tmp_path / "train.csv", _rows())
    out_model = tmp_path / "m.json.gz"
    code, out, err = run(
        "train",
        "--input",
        str(src),
        "--text-column",
        "内容",
        "--label-column",
        "类别",
        "--cv",
        "3",
        "--out",
        str(out_model),
    )
    assert code == 0, err
    assert "40 行（文件）" in out and "4 个类别" in out and "宏平均 F1" in out
    assert out_model.is_file()
    with Session(cli_db) as session:
        row = session.scalars(select(TriageModel)).one()
        assert row.active and row.metrics["cv_folds"] == 3 and row.metrics["macro_f1"] >= 0.8
    code, out, _ = run("models")
    assert code == 0 and "是" in out and "正常" in out

    new = write_csv(
        tmp_path / "new.csv", [["A1", "预付卡余额不退，美发店关门", "", "x"], ["A2", "优惠券不能用", "", ""]]
    )
    for target in ("active", str(out_model)):
        for suffix in (".csv", ".xlsx"):
            dest = tmp_path / f"pred-{len(target)}{suffix}"
            code, out, err = run(
                "classify",
                "--model",
                target,
                "--input",
                str(new),
                "--text-column",
                "内容",
                "--out",
                str(dest),
            )
            assert code == 0, err
            if suffix == ".csv":
                with dest.open(encoding="utf-8-sig") as handle:
                    table = list(csv.reader(handle))
            else:
                sheet = load_workbook(dest, read_only=True).worksheets[0]
                table = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]
            assert table[0] == [*HEADERS, "predicted_category", "confidence", "reasons"]
            assert [r[:4] for r in table[1:]] == [
                ["A1", "预付卡余额不退，美发店关门", "", "x"],
                ["A2", "优惠券不能用", "", ""],
            ]
            assert [r[4] for r in table[1:]] == ["prepaid.beauty", "online.coupon"]
            assert all(0.0 <= float(r[5]) <= 1.0 for r in table[1:])
            assert all("(" in r[6] for r in table[1:])


def test_train_xlsx_named_sheet_with_corrections_no_register(tmp_path: Path, cli_db: Engine) -> None:
    with Session(cli_db) as session:
        now = utcnow()
        ticket = Ticket(
            ticket_no="ML-CLI-1",
            channel="web",
            kind="complaint",
            status="registered",
            received_at=now,
            registered_at=now,
            title="赠品",
            text="赠品没给",
            updated_at=now,
        )
        session.add(ticket)
        session.flush()
        session.add(
            Correction(ticket_id=ticket.id, at=now, new_category="online.coupon", text="赠品\n赠品没给")
        )
        session.commit()
    src = write_xlsx(tmp_path / "train.xlsx", _rows(), sheet="数据")
    out_model = tmp_path / "m.json.gz"
    code, out, err = run(
        "train",
        "--input",
        str(src),
        "--sheet",
        "数据",
        "--text-column",
        "内容",
        "--label-column",
        "类别",
        "--cv",
        "0",
        "--no-register",
        "--out",
        str(out_model),
    )
    assert code == 0, err
    assert "1 行（人工更正）" in out and out_model.is_file()
    with Session(cli_db) as session:
        assert session.scalars(select(TriageModel)).all() == []
    code, out, err = run(
        "train",
        "--input",
        str(src),
        "--sheet",
        "数据",
        "--text-column",
        "内容",
        "--label-column",
        "类别",
        "--cv",
        "0",
        "--no-corrections",
    )
    assert code == 0, err
    assert "0 行（人工更正）" in out
    with Session(cli_db) as session:
        row = session.scalars(select(TriageModel)).one()
        assert row.corrections == 0 and row.rows == 40
        assert session.scalars(select(Correction)).one().used_by_model_id is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--text-column", "正文", "--label-column", "类别"], "找不到 --text-column 指定的列“正文”"),
        (["--text-column", "内容", "--label-column", "分类"], "找不到 --label-column 指定的列“分类”"),
    ],
)
def test_train_missing_column_exits_2(tmp_path: Path, cli_db: Engine, args: list[str], message: str) -> None:
    src = write_csv(tmp_path / "train.csv", _rows())
    code, _, err = run("train", "--input", str(src), *args, "--no-register", "--cv", "0")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_train_empty_labels_and_single_class_exit_2(tmp_path: Path, cli_db: Engine) -> None:
    rows = _rows()
    rows[3][2] = ""
    rows[7][2] = ""
    src = write_csv(tmp_path / "train.csv", rows)
    code, _, err = run("train", "--input", str(src), "--text-column", "内容", "--label-column", "类别")
    assert code == 2 and "第 5、9 行的标签为空" in err and len(err.strip().splitlines()) == 1
    one = write_csv(tmp_path / "one.csv", [["1", "文本", "a", ""], ["2", "文本二", "a", ""]])
    code, _, err = run(
        "train",
        "--input",
        str(one),
        "--text-column",
        "内容",
        "--label-column",
        "类别",
        "--no-corrections",
        "--no-register",
        "--cv",
        "0",
    )
    assert code == 2 and "两个不同的类别" in err
    code, _, err = run(
        "train",
        "--input",
        str(src.with_name("train.csv")),
        "--text-column",
        "内容",
        "--label-column",
        "类别",
        "--cv",
        "15",
        "--no-register",
    )
    assert code == 2  # empty labels come first; folds are checked on valid data below
    good = write_csv(tmp_path / "good.csv", _rows())
    code, _, err = run(
        "train",
        "--input",
        str(good),
        "--text-column",
        "内容",
        "--label-column",
        "类别",
        "--cv",
        "15",
        "--no-register",
    )
    assert code == 2 and "少于交叉验证折数" in err and len(err.strip().splitlines()) == 1


def test_unreadable_files_and_bad_models_exit_2(tmp_path: Path, cli_db: Engine) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    code, _, err = run("train", "--input", str(broken), "--text-column", "内容", "--label-column", "类别")
    assert code == 2 and "XLSX" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(
        "train", "--input", str(tmp_path / "missing.csv"), "--text-column", "内容", "--label-column", "类别"
    )
    assert code == 2 and "无法读取文件" in err
    src = write_xlsx(tmp_path / "t.xlsx", _rows(), sheet="数据")
    code, _, err = run(
        "train", "--input", str(src), "--sheet", "没有", "--text-column", "内容", "--label-column", "类别"
    )
    assert code == 2 and "工作表“没有”不存在" in err
    fake_model = tmp_path / "fake.json.gz"
    fake_model.write_text("{}", encoding="utf-8")
    new = write_csv(tmp_path / "new.csv", [["1", "文本", "", ""]])
    code, _, err = run(
        "classify",
        "--model",
        str(fake_model),
        "--input",
        str(new),
        "--text-column",
        "内容",
        "--out",
        str(tmp_path / "o.csv"),
    )
    assert code == 2 and "不是有效的分类模型文件" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(
        "classify",
        "--model",
        "active",
        "--input",
        str(new),
        "--text-column",
        "内容",
        "--out",
        str(tmp_path / "o.txt"),
    )
    assert code == 2 and "不支持的输出类型" in err


def test_classify_active_without_model_uses_keywords(tmp_path: Path, cli_db: Engine) -> None:
    new = write_csv(tmp_path / "new.csv", [["1", "优惠券满减不能用", "", ""]])
    dest = tmp_path / "o.csv"
    code, out, err = run(
        "classify", "--model", "active", "--input", str(new), "--text-column", "内容", "--out", str(dest)
    )
    assert code == 0, err
    assert "关键词" in out
    with dest.open(encoding="utf-8-sig") as handle:
        assert list(csv.reader(handle))[1][4] == "online.coupon"
    code, out, _ = run("models")
    assert code == 0 and "尚未登记任何分类模型" in out
