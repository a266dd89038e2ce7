"""Registry import: encodings, all-or-nothing row errors, idempotence, and the file guards."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.registry.registry_support import World, build_world, uscc
from tianping import registry
from tianping.core.audit import AuditEvent
from tianping.core.authz import SYSTEM
from tianping.core.errors import FileRejected, ImportRejected, PermissionDenied
from tianping.core.settings import reset_settings_cache
from tianping.registry import IMPORT_COLUMNS, EntityAlias, MarketEntity
from tianping.registry.models import SearchGram, SearchGramDf

HEADERS = list(IMPORT_COLUMNS.values())


def _row(**cells: str) -> list[str]:
    return [cells.get(key, "") for key in IMPORT_COLUMNS]


def _csv(rows: list[list[str]], *, headers: list[str] | None = None, encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers or HEADERS)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def _xlsx(rows: list[list[object]], *, headers: list[str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(headers or HEADERS)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (MarketEntity, EntityAlias, SearchGram, SearchGramDf, AuditEvent)
    )


def _import(
    session: Session, data: bytes, filename: str = "entities.csv", **kw: object
) -> registry.ImportReport:
    return registry.import_file(session=session, source=data, filename=filename, actor=SYSTEM, **kw)  # type: ignore[arg-type]


ROWS = [
    _row(
        name="示例外卖平台（北京）科技有限公司", kind="平台", uscc=uscc(101), division_code="110108",
        industry_section="I", aliases="示例外卖；简称:示例", status="存续",
    ),
    _row(
        name="京西示范美容美发店", kind="个体工商户", uscc=uscc(102, category="2"), division_code="110108001",
        industry_section="O 居民服务、修理和其他服务业", legal_representative="张示范",
        contact_phone="138 0013 8000",
        operator_id_card="110105198001010024", established_on="2020/5/18", tags="美容美发；预付式",
    ),
    _row(
        name="京西示范餐馆", kind="platform_shop", external_id="SL-0001", platform=uscc(101),
        division_code="110108002", industry_section="H", status="在业",
    ),
]  # fmt: skip


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TIANPING_IMPORT_MAX_BYTES", "4096")
    monkeypatch.setenv("TIANPING_IMPORT_MAX_ROWS", "3")
    monkeypatch.setenv("TIANPING_XLSX_MAX_UNCOMPRESSED_BYTES", str(8 * 1024 * 1024))
    reset_settings_cache()
    yield
    monkeypatch.undo()
    reset_settings_cache()


# ------------------------------------------------------------------------------------------------
# Happy paths


def test_gbk_csv_is_decoded_and_imported(db_session: Session) -> None:
    report = _import(db_session, _csv(ROWS, encoding="gbk"))
    assert (report.created, report.updated, report.unchanged, report.total) == (3, 0, 0, 3)
    salon = db_session.scalars(select(MarketEntity).where(MarketEntity.uscc == uscc(102, category="2"))).one()
    assert salon.name == "京西示范美容美发店" and salon.industry_section == "O"
    assert salon.contact_phone == "13800138000" and str(salon.established_on) == "2020-05-18"
    assert salon.tags == ["美容美发", "预付式"] and salon.district_code == "110108"
    shop = db_session.scalars(select(MarketEntity).where(MarketEntity.external_id == "SL-0001")).one()
    platform = db_session.scalars(select(MarketEntity).where(MarketEntity.uscc == uscc(101))).one()
    assert shop.platform_id == platform.id and shop.status == "active"
    aliases = db_session.scalars(select(EntityAlias).where(EntityAlias.entity_id == platform.id)).all()
    assert sorted((a.alias, a.kind) for a in aliases) == [("示例", "short"), ("示例外卖", "brand")]
    assert (
        registry.search_names(session=db_session, text="示列外卖", actor=SYSTEM)[0].entity_id == platform.id
    )
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "registry.import")).one()
    assert event.detail["created"] == 3 and event.detail["source"] == "entities.csv"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030", "utf-16"])
def test_other_encodings(db_session: Session, encoding: str) -> None:
    assert _import(db_session, _csv(ROWS, encoding=encoding)).created == 3


def test_xlsx_with_typed_cells(db_session: Session) -> None:
    from datetime import datetime

    rows: list[list[object]] = [list(r) for r in ROWS]
    rows[1][9] = datetime(2020, 5, 18)  # a real date cell
    rows[1][11] = 13800138000  # a phone typed as a number
    report = _import(db_session, _xlsx(rows), filename="名录.xlsx")
    assert report.created == 3
    salon = db_session.scalars(select(MarketEntity).where(MarketEntity.uscc == uscc(102, category="2"))).one()
    assert str(salon.established_on) == "2020-05-18" and salon.contact_phone == "13800138000"


def test_reimport_is_idempotent_and_updates_only_changes(db_session: Session) -> None:
    data = _csv(ROWS)
    assert _import(db_session, data).created == 3
    before = _counts(db_session)
    again = _import(db_session, data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert _counts(db_session) == before  # not even an audit event
    changed = [list(r) for r in ROWS]
    changed[1][8] = "停业"
    changed[1][11] = ""  # an empty cell never clears a stored value
    third = _import(db_session, _csv(changed))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 2)
    salon = db_session.scalars(select(MarketEntity).where(MarketEntity.uscc == uscc(102, category="2"))).one()
    db_session.refresh(salon)
    assert salon.status == "suspended" and salon.contact_phone == "13800138000"


def test_rename_and_alias_change_reindex(db_session: Session) -> None:
    _import(db_session, _csv(ROWS))
    renamed = [list(r) for r in ROWS]
    renamed[0][0] = "示例到家平台（北京）科技有限公司"
    renamed[0][13] = "示例到家"
    report = _import(db_session, _csv(renamed))
    assert report.updated == 1
    platform_id = db_session.scalar(select(MarketEntity.id).where(MarketEntity.uscc == uscc(101)))
    assert (
        registry.search_names(session=db_session, text="示例到家", actor=SYSTEM)[0].entity_id == platform_id
    )
    assert all(
        h.entity_id != platform_id
        for h in registry.search_names(session=db_session, text="示例外卖", actor=SYSTEM)
    )


def test_column_mapping_renames_columns(db_session: Session) -> None:
    headers = ["企业名称", "主体类别", "信用代码", "区划"]
    data = _csv([["北京示范书店有限公司", "企业", uscc(103), "110108"]], headers=headers)
    mapping = {"name": "企业名称", "kind": "主体类别", "uscc": "信用代码", "division_code": "区划"}
    assert _import(db_session, data, mapping=mapping).created == 1
    with pytest.raises(FileRejected, match="未知字段"):
        _import(db_session, data, mapping={"nom": "企业名称"})
    with pytest.raises(FileRejected, match="不存在"):
        _import(db_session, data, mapping={"name": "名字"})
    assert registry.parse_mapping_json('{"name": "企业名称"}') == {"name": "企业名称"}
    with pytest.raises(FileRejected, match="JSON"):
        registry.parse_mapping_json("{name: 企业名称}")


def test_dry_run_writes_nothing(db_session: Session) -> None:
    before = _counts(db_session)
    report = _import(db_session, _csv(ROWS), dry_run=True)
    assert report.dry_run and report.created == 3
    assert _counts(db_session) == before


def test_template_is_importable(db_session: Session, tmp_path: Path) -> None:
    for name in ("模板.xlsx", "模板.csv"):
        path = tmp_path / name
        registry.write_template(path)
        report = registry.import_file(session=db_session, source=path, filename=name, actor=SYSTEM)
        assert report.total == 1 and report.created + report.unchanged == 1


# ------------------------------------------------------------------------------------------------
# Row errors: all reported, nothing written


def test_row_errors_name_row_column_and_reason(db_session: Session) -> None:
    bad_uscc = uscc(104)[:-1] + ("0" if uscc(104)[-1] != "0" else "1")
    rows = [
        _row(name="北京示范一号有限公司", kind="企业", uscc=bad_uscc),  # row 2
        _row(name="北京示范二号有限公司", kind="公司集团", uscc=uscc(105)),  # row 3
        _row(name="北京示范三号有限公司", kind="企业", uscc=uscc(106), established_on="2020-13-45"),  # row 4
        _row(name="北京示范四号有限公司", kind="企业", uscc=uscc(107), contact_phone="12345"),  # row 5
        _row(name="北京示范五号有限公司", kind="企业", uscc=uscc(108), division_code="119999"),  # row 6
        _row(name="北京示范六号有限公司", kind="企业", uscc=uscc(109)),  # row 7: fine
        _row(name="北京示范六号分店", kind="企业", uscc=uscc(109)),  # row 8: duplicate of row 7
        _row(name="示范直播间", kind="直播间", external_id="LIVE-1", platform="91110108NOTAPLATFX"),  # row 9
        _row(name="", kind="企业"),  # row 10
    ]
    before = _counts(db_session)
    with pytest.raises(ImportRejected) as info:
        _import(db_session, _csv(rows))
    assert _counts(db_session) == before
    exc = info.value
    assert exc.total_rows == 9 and "未写入任何数据" in exc.message
    found = {(e.row, e.column): e.message for e in exc.row_errors}
    assert "校验位" in found[2, "统一社会信用代码"]
    assert "未知的主体类型" in found[3, "类型"]
    assert "日期" in found[4, "成立日期"]
    assert "联系电话" in found[5, "联系电话"]
    assert "区划代码无效" in found[6, "区划代码"]
    assert "与第 7 行" in found[8, "统一社会信用代码"]
    assert "未找到所属平台" in found[9, "所属平台（统一社会信用代码或外部编号）"]
    assert "名称不能为空" in found[10, "名称"]
    assert "至少填写一项" in found[10, "统一社会信用代码"]
    assert 7 not in {e.row for e in exc.row_errors}


def test_missing_required_columns_are_named(db_session: Session) -> None:
    with pytest.raises(FileRejected) as info:
        _import(db_session, _csv([["示范"]], headers=["注册地址"]))
    assert "名称" in info.value.message and "类型" in info.value.message and "外部编号" in info.value.message
    with pytest.raises(FileRejected, match="重复的列"):
        _import(db_session, _csv([], headers=["名称", "名称", "类型", "外部编号"]))


def test_platform_reference_must_be_a_platform(db_session: Session) -> None:
    rows = [
        _row(name="北京示范商贸有限公司", kind="企业", uscc=uscc(110)),
        _row(name="示范网店", kind="平台内经营者", external_id="S-1", platform=uscc(110)),
        _row(name="示范商行", kind="企业", uscc=uscc(111), platform=uscc(110)),
    ]
    _import(db_session, _csv(rows[:1]))
    with pytest.raises(ImportRejected) as info:
        _import(db_session, _csv(rows[1:]))
    messages = {e.row: e.message for e in info.value.row_errors}
    assert "不是平台类主体" in messages[2] and "仅平台内经营者" in messages[3]


def test_scope_applies_to_imports(db_session: Session) -> None:
    world: World = build_world(db_session)
    rows = [
        _row(
            name="朝阳示范书店有限公司",
            kind="企业",
            uscc=uscc(112, district="110105"),
            division_code="110105",
        )
    ]
    with pytest.raises(ImportRejected) as info:
        registry.import_file(
            session=db_session, source=_csv(rows), filename="a.csv", actor=world.actors["haidian"]
        )
    assert "管辖范围" in info.value.row_errors[0].message
    takeover = [_row(name="改名", kind="企业", uscc=world.trader.uscc or "")]
    with pytest.raises(ImportRejected) as info:
        registry.import_file(
            session=db_session, source=_csv(takeover), filename="b.csv", actor=world.actors["haidian"]
        )
    assert "管辖范围以外" in info.value.row_errors[0].message
    with pytest.raises(PermissionDenied):
        registry.import_file(
            session=db_session, source=_csv(rows), filename="c.csv", actor=world.actors["station"]
        )


# ------------------------------------------------------------------------------------------------
# File guards


def test_files_over_the_size_limit_are_refused_unread(db_session: Session, small_limits: None) -> None:
    big = _csv([_row(name=f"北京示范{i}号有限公司", kind="企业", uscc=uscc(200 + i)) for i in range(80)])
    assert len(big) > 4096
    with pytest.raises(FileRejected, match="文件过大"):
        _import(db_session, big)

    class Endless(io.RawIOBase):
        """A stream that never ends: the reader must stop at the limit."""

        read_bytes = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            buffer[:] = b"a" * len(buffer)
            self.read_bytes += len(buffer)
            return len(buffer)

    stream = Endless()
    with pytest.raises(FileRejected, match="文件过大"):
        registry.import_file(
            session=db_session, source=io.BufferedReader(stream), filename="x.csv", actor=SYSTEM
        )
    assert stream.read_bytes < 4096 + 2 * 65536


def test_too_many_rows_are_refused(db_session: Session, small_limits: None) -> None:
    rows = [_row(name=f"示范{i}", kind="企业", uscc=uscc(300 + i)) for i in range(4)]
    with pytest.raises(FileRejected, match="数据行过多"):
        _import(db_session, _csv(rows))


def test_undecodable_csv_is_a_file_error(db_session: Session) -> None:
    garbage = bytes(range(128, 256)) * 40
    with pytest.raises(FileRejected, match="无法识别文件编码"):
        _import(db_session, garbage)


def _no_openpyxl(monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("openpyxl must not see a rejected file")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def test_xlsx_zip_bomb_is_refused_before_openpyxl(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_openpyxl(monkeypatch)
    buf = io.BytesIO()
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(300):  # 300 MB of zeros, a few hundred KB compressed
                member.write(chunk)
    bomb = buf.getvalue()
    assert len(bomb) < 2 * 1024 * 1024
    with pytest.raises(FileRejected, match="压缩炸弹"):
        _import(db_session, bomb, filename="bomb.xlsx")


def test_xlsx_ratio_and_member_guards(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_openpyxl(monkeypatch)
    ratio = io.BytesIO()
    with zipfile.ZipFile(ratio, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", b" " * (4 << 20))
    with pytest.raises(FileRejected, match="压缩比异常"):
        _import(db_session, ratio.getvalue(), filename="ratio.xlsx")
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(1_001):
            archive.writestr(f"xl/m{i}.xml", "")
    with pytest.raises(FileRejected, match="结构异常"):
        _import(db_session, many.getvalue(), filename="many.xlsx")


def test_corrupt_xlsx_is_a_file_error(db_session: Session) -> None:
    with pytest.raises(FileRejected, match="不是有效的 XLSX"):
        _import(db_session, b"PK\x03\x04 definitely not a zip", filename="broken.xlsx")
    with pytest.raises(FileRejected, match="不是有效的 XLSX"):
        _import(db_session, b"hello, world", filename="text.xlsx")
    not_excel = io.BytesIO()
    with zipfile.ZipFile(not_excel, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(FileRejected, match="缺少工作簿"):
        _import(db_session, not_excel.getvalue(), filename="other.xlsx")
    real = _xlsx([ROWS[0]])
    broken = bytearray(real)
    index = broken.find(b"<sheetData")
    if index < 0:  # the sheet is compressed: damage the compressed bytes of the middle of the file
        index = len(broken) // 2
    broken[index : index + 64] = b"\x00" * 64
    with pytest.raises(FileRejected):
        _import(db_session, bytes(broken), filename="damaged.xlsx")
    with pytest.raises(FileRejected, match="xls"):
        _import(db_session, b"\xd0\xcf\x11\xe0", filename="old.xls")
