"""The calculator (public) and the review (officers) pages, through the real app."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import login, make_user
from tianping.core.audit import AuditEvent
from tianping.core.authz import Role
from tianping.web.promotion_pages import rules_digest, sample_text, samples

HX = {"HX-Request": "true"}

CART_FORM = {
    "sku": ["YR-001", "WY-002", "EJ-003"],
    "shop": ["示例服饰旗舰店", "示例服饰旗舰店", "示例数码专营店"],
    "category": ["服装", "服装", "数码"],
    "price": ["399.00", "169.00", "259.00"],
    "qty": ["1", "2", "1"],
    "coupon": ["Q-199-20"],
}


def test_samples_are_valid_and_fictitious() -> None:
    from tianping.promotion import service

    keys = {s.key for s in samples()}
    assert {"shuang11", "ambiguous"} <= keys and 3 <= len(keys) <= 4
    for sample in samples():
        rules = service.load_rules(sample.text)  # every sample is a valid document
        assert rules.offers and sample.title
        assert "示例" in sample.text


def test_calculator_is_public_and_lists_the_sample_coupons(client: TestClient) -> None:
    page = client.get("/promotions/calculator")
    assert page.status_code == 200
    assert "到手价计算器" in page.text and 'href="/promotions/calculator"' in page.text
    assert 'value="Q-199-20"' in page.text  # held-coupon checkbox of the default sample
    assert "/static/promotion.js" in page.text and "<script>" not in page.text
    assert 'href="/promotions/review"' not in page.text  # officers only


def test_calculator_quotes_a_cart_as_a_partial_and_as_a_page(client: TestClient) -> None:
    form = {"rules_text": sample_text("shuang11"), **CART_FORM}
    part = client.post("/promotions/calculator", data=form, headers=HX)
    assert part.status_code == 200, part.text
    assert "<html" not in part.text
    assert "应付 ¥766.20" in part.text
    assert "标价合计 ¥996.00，共优惠 ¥229.80" in part.text
    # the shop 满减 split over lines 1 and 2, the refund of line 1 is its 到手金额
    assert "−¥38.86" in part.text and "−¥41.14" in part.text
    assert len(re.findall(r'data-testid="quote-step"', part.text)) == 4
    full = client.post("/promotions/calculator", data=form)
    assert full.status_code == 200 and "<html" in full.text and "应付 ¥766.20" in full.text
    assert 'value="Q-199-20" checked' in full.text  # the form keeps what was entered


def test_ambiguous_rules_show_the_range_in_plain_words(client: TestClient) -> None:
    form = {
        "rules_text": sample_text("ambiguous"),
        "sku": ["BWB-01"],
        "shop": ["示例优选店"],
        "category": ["家居"],
        "price": ["200.00"],
        "qty": ["1"],
        "coupon": ["Q1"],
    }
    part = client.post("/promotions/calculator", data=form, headers=HX)
    assert part.status_code == 200, part.text
    assert "规则有歧义：按不同理解，应付金额在 ¥140.00 – ¥170.00 之间" in part.text
    assert "「店铺满200减30」满减门槛按标价还是按折后价计算没有写明" in part.text
    assert "门槛按标价算" in part.text and "门槛按折后价算" in part.text
    assert "应付 <strong>¥140.00</strong>" in part.text and "应付 <strong>¥170.00</strong>" in part.text


def test_calculator_errors_name_the_row_and_column(client: TestClient) -> None:
    form = {**CART_FORM, "rules_text": sample_text("shuang11"), "price": ["399.00", "19.999", "259"]}
    part = client.post("/promotions/calculator", data=form, headers=HX)
    assert part.status_code == 422
    assert "购物车第 2 行「标价」" in part.text and "Traceback" not in part.text
    bad_rules = client.post(
        "/promotions/calculator", data={**CART_FORM, "rules_text": "format: x"}, headers=HX
    )
    assert bad_rules.status_code == 422 and "规则 format" in bad_rules.text
    empty = client.post(
        "/promotions/calculator",
        data={"rules_text": sample_text("shuang11"), "sku": [""], "price": [""]},
        headers=HX,
    )
    assert empty.status_code == 422 and "购物车" in empty.text


def test_coupons_follow_the_rules_being_edited(client: TestClient) -> None:
    box = client.post(
        "/promotions/calculator/coupons", data={"rules_text": sample_text("ambiguous"), "coupon": ["Q1"]}
    )
    assert box.status_code == 200 and 'value="Q1" checked' in box.text
    broken = client.post("/promotions/calculator/coupons", data={"rules_text": "promotions: 3"})
    assert "规则" in broken.text and 'data-testid="rules-error"' in broken.text
    block = client.get("/promotions/calculator/rules?sample=flash_sale", headers=HX)
    assert "示例车厘子" in block.text and 'hx-swap-oob="true"' in block.text


def test_parse_box_returns_rules_and_open_points(client: TestClient) -> None:
    part = client.post(
        "/promotions/calculator/parse", data={"phrases": "店铺满300减40；满199减20券"}, headers=HX
    )
    assert part.status_code == 200
    assert "threshold_off" in part.text and "文案未说明" in part.text
    assert "promotions[0].basis" in part.text
    full = client.post("/promotions/calculator/parse", data={"phrases": "店铺满300减40"})
    assert full.status_code == 200 and "format: tianping-promotions/1" in full.text
    nothing = client.post("/promotions/calculator/parse", data={"phrases": "欢迎光临"}, headers=HX)
    assert "没有从文案中识别出优惠规则" in nothing.text


def test_review_needs_a_login(client: TestClient) -> None:
    resp = client.get("/promotions/review")
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")


def test_officer_lints_and_sees_counterexamples_and_claims(client: TestClient, db_session: Session) -> None:
    make_user(db_session, "officer", Role.OFFICER)
    csrf = login(client, "officer")
    page = client.get("/promotions/review?sample=ambiguous")
    assert page.status_code == 200 and "店铺满200减30" in page.text
    assert 'href="/promotions/review"' in page.text  # nav item for signed-in staff
    text = sample_text("ambiguous")
    assert client.post("/promotions/review", data={"rules_text": text}).status_code == 403  # no CSRF token
    resp = client.post("/promotions/review", data={"rules_text": text, "csrf_token": csrf})
    assert resp.status_code == 200, resp.text
    assert resp.text.count('data-testid="finding-row"') == 3
    assert (
        'data-testid="counterexample"' in resp.text and "门槛按标价算：<strong>¥150.00</strong>" in resp.text
    )
    assert "取决于理解" in resp.text and rules_digest(text) in resp.text
    shuang11 = client.post(
        "/promotions/review", data={"rules_text": sample_text("shuang11"), "csrf_token": csrf}
    )
    assert "虚假（涉嫌违反《明码标价和禁止价格欺诈规定》第十九条）" in shuang11.text
    assert "属实" in shuang11.text and "优于宣传" in shuang11.text


def test_review_upload_limits_and_errors(client: TestClient, db_session: Session) -> None:
    make_user(db_session, "officer", Role.OFFICER)
    csrf = login(client, "officer")
    upload = client.post(
        "/promotions/review",
        data={"csrf_token": csrf},
        files={"file": ("rules.yaml", sample_text("flash_sale").encode(), "application/x-yaml")},
    )
    assert upload.status_code == 200 and "两盒车厘子到手 108 元" in upload.text
    big = client.post(
        "/promotions/review",
        data={"csrf_token": csrf},
        files={"file": ("rules.yaml", b"#" * (256 * 1024 + 1), "application/x-yaml")},
    )
    assert big.status_code == 422 and "不能超过 256 KB" in big.text
    exe = client.post(
        "/promotions/review",
        data={"csrf_token": csrf},
        files={"file": ("a.exe", b"MZ", "application/octet-stream")},
    )
    assert exe.status_code == 422 and ".yaml" in exe.text
    bad = client.post(
        "/promotions/review", data={"csrf_token": csrf, "rules_text": "format: 1\npromotions: []"}
    )
    assert bad.status_code == 422 and 'data-testid="review-error"' in bad.text and "规则 format" in bad.text


def test_export_is_an_audited_readable_xlsx(client: TestClient, db_session: Session) -> None:
    make_user(db_session, "officer", Role.OFFICER)
    csrf = login(client, "officer")
    text = sample_text("ambiguous")
    resp = client.post("/promotions/review/export", data={"rules_text": text, "csrf_token": csrf})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(resp.content), read_only=True)
    assert wb.sheetnames == ["概要", "问题", "宣传核验"]
    summary = {row[0]: row[1] for row in wb["概要"].iter_rows(values_only=True)}
    assert summary["规则文本 SHA-256"] == rules_digest(text) and summary["审查时间（北京时间）"]
    findings = list(wb["问题"].iter_rows(values_only=True))
    assert findings[0][0] == "代码" and {r[0] for r in findings[1:]} == {
        "ambiguous_repeat",
        "ambiguous_basis",
    }
    assert all(r[5] for r in findings[1:])  # each finding carries its counterexample cart
    claims = list(wb["宣传核验"].iter_rows(values_only=True))
    assert claims[1][0] == "K1" and claims[1][4] == "取决于理解"
    wb.close()
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "promotion.lint_export")).all()
    assert len(events) == 1 and events[0].object_id == rules_digest(text)
    assert events[0].actor_username == "officer" and events[0].detail["findings"] == 3


def test_export_refuses_bad_input_without_auditing(client: TestClient, db_session: Session) -> None:
    make_user(db_session, "officer", Role.OFFICER)
    csrf = login(client, "officer")
    bad = client.post("/promotions/review/export", data={"rules_text": "promotions: {}", "csrf_token": csrf})
    assert bad.status_code == 422 and "Traceback" not in bad.text
    no_csrf = client.post("/promotions/review/export", data={"rules_text": sample_text("shuang11")})
    assert no_csrf.status_code == 403
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "promotion.lint_export")).all()
    assert events == []
