"""Smoke test of the FFI surface from Python: the same exports the apps use, through the
bindings uniffi generates for Python. Run by run.sh beside the generated module and the
library; prints "python: N passed, M failed" last."""

import datetime
import os
import sys
import tempfile
import time
import traceback

import fieldcore_ffi as fc

TZ = datetime.timezone(datetime.timedelta(hours=8))


def registration(customer="Hebei Pump Station No. 3", serial="M2406-118842", phone="+86 311 5555 0101"):
    received = (datetime.datetime.now(TZ) - datetime.timedelta(hours=2)).replace(microsecond=0)
    return fc.Registration(
        customer_name=customer,
        customer_phone=phone,
        customer_address="12 Canal Road",
        region="Hebei",
        home_region=True,
        market=fc.Market.DOMESTIC,
        product_model="YE3-132M-4",
        product_category="motor",
        serial_number=serial,
        manufacture_date="2026-03-02",
        purchase_date="2026-06-01",
        proof_of_purchase=fc.ProofOfPurchase.INVOICE(number="INV-0099812"),
        fault_description="Trips the breaker after two minutes",
        customer_request=fc.CustomerRequest.REPAIR,
        channel=fc.Channel.PHONE,
        received_at=received.isoformat(),
        first_responder="Wang Fang",
    )


def open_store():
    folder = tempfile.mkdtemp(prefix="fieldcore-py-")
    return fc.FieldStore.open(os.path.join(folder, "device.db"), "Wang Fang")


def test_register_and_list():
    store = open_store()
    ids = [store.register(registration(serial=f"SN-{i:03d}")).id for i in range(12)]
    page = store.list_cases(fc.ListQuery(limit=5))
    assert len(page.rows) == 5 and page.next is not None, page
    assert page.rows[0].status == fc.Status.REGISTERED
    found = store.list_cases(fc.ListQuery(serial="SN-007")).rows
    assert [r.case_id for r in found] == [ids[7]], found
    assert store.find_case(ids[3][:13]) == ids[3]
    assert store.summary().case_count == 12


def test_commands_and_view():
    store = open_store()
    case_id = store.register(registration()).id
    store.execute(case_id, fc.CaseCommand.ACKNOWLEDGE(note=None))
    store.execute(case_id, fc.CaseCommand.ARRIVE_ON_SITE())
    defect = fc.DefectInput(cause=fc.Cause.DESIGN_MANUFACTURING, findings="Insulation failure",
                            measurements=[], major_incident=False, evidence_photos=[])
    store.execute(case_id, fc.CaseCommand.CONFIRM_DEFECT(defect=defect))
    view = store.execute(case_id, fc.CaseCommand.DECIDE_WARRANTY(evidence_photos=[], charge=None)).view
    assert view.status == fc.Status.WARRANTY_DECIDED
    assert view.warranty.decision.covered
    assert view.warranty.decision.period_end == "2027-06-01"
    assert view.registration.received_at.endswith("+08:00"), view.registration.received_at


def test_deadline_records_and_history_in_chinese():
    store = open_store()
    late = registration(serial="SN-LATE")
    late.received_at = (datetime.datetime.now(TZ) - datetime.timedelta(days=20)).replace(
        microsecond=0).isoformat()
    case_id = store.register(late).id
    store.execute(case_id, fc.CaseCommand.ACKNOWLEDGE(note=None))
    store.execute(case_id, fc.CaseCommand.ARRIVE_ON_SITE())
    defect = fc.DefectInput(cause=fc.Cause.CUSTOMER_MISUSE, findings="Run dry",
                            measurements=[], major_incident=False, evidence_photos=[])
    store.execute(case_id, fc.CaseCommand.CONFIRM_DEFECT(defect=defect))
    store.execute(case_id, fc.CaseCommand.PROPOSE_REMEDY(proposal="Replace the seal"))
    store.execute(case_id, fc.CaseCommand.RECORD_REPORT(
        findings="Seal worn", cause="Dry running", handling="New seal, training"))
    agreed = (datetime.datetime.now(TZ) + datetime.timedelta(days=5)).date().isoformat()
    view = store.execute(case_id, fc.CaseCommand.AGREE_DEADLINE(
        date=agreed, with_whom="Zhao Min")).view
    assert view.remedy.proposal == "Replace the seal", view.remedy
    assert view.report.cause == "Dry running", view.report
    assert view.agreed_deadline.date == agreed and view.agreed_deadline.with_whom == "Zhao Min"
    assert view.passed_to_qa is None
    # Received 20 days ago: the reply deadline was missed, noticed by the first command.
    missed = {m.milestone for m in view.missed_deadlines}
    assert fc.Milestone.REPLY in missed, view.missed_deadlines
    assert all(m.noticed.by == "Wang Fang" for m in view.missed_deadlines)
    english = [e.summary for e in view.events]
    assert "defect confirmed: customer_misuse (non-quality fault)" in english, english
    fc.set_locale(fc.Locale.ZH_CN)
    try:
        chinese = [e.summary for e in store.get_case(case_id).events]
    finally:
        fc.set_locale(fc.Locale.EN)
    assert "客户使用不当或其他客户原因（非质量问题）" in chinese, chinese
    assert len(chinese) == len(english)


def test_warranty_check():
    decision = fc.check_warranty(fc.WarrantyQuestion(
        category="pump", model="", purchase_date="2025-08-31",
        proof=fc.ProofOfPurchase.INVOICE(number="F-1"), received_date="2026-02-28",
        cause=fc.Cause.DESIGN_MANUFACTURING))
    assert decision.covered and decision.rule == fc.WarrantyRule.COVERED_QUALITY_FAULT
    assert decision.period_end == "2026-02-28"
    assert "covered" in decision.explanation


def test_errors():
    store = open_store()
    try:
        store.register(registration(phone=""))
    except fc.FieldError.Validation as e:
        assert e.field == "customer_phone", e
        assert e.code == "validation.required", e
    else:
        raise AssertionError("an empty phone was accepted")
    try:
        fc.check_warranty(fc.WarrantyQuestion(
            category="pump", model="", purchase_date="31/08/2025",
            proof=fc.ProofOfPurchase.NONE(), received_date="2026-02-28",
            cause=fc.Cause.CUSTOMER_MISUSE))
    except fc.FieldError.Validation as e:
        assert e.field == "date", e
        assert e.code == "validation.not_date", e
    else:
        raise AssertionError("a malformed date was accepted")
    try:
        store.get_case("0190f5d2-0000-7000-8000-000000000000")
    except fc.FieldError.NotFound as e:
        assert e.code == "not_found.case", e
    else:
        raise AssertionError("an unknown case was found")
    # Counts and indexes are signed; a negative one is refused before anything runs.
    try:
        store.list_cases(fc.ListQuery(limit=-1))
    except fc.FieldError.Validation as e:
        assert (e.field, e.code) == ("limit", "validation.negative"), e
    else:
        raise AssertionError("a negative page size was accepted")
    assert store.summary().case_count == 0


def test_sync_surface():
    """Sync's records and errors without an HQ (the Kotlin tests sync with a real one)."""
    store = open_store()
    view = store.register(registration())
    assert view.sync_state == fc.CaseSyncState.PENDING, view.sync_state
    # Port 1 on loopback refuses connections; one attempt, so no backoff to wait for.
    nowhere = fc.SyncConfig(hq_url="http://127.0.0.1:1", token="t", max_attempts=1)
    try:
        store.sync(nowhere, None, None)
    except fc.FieldError.Network as e:
        assert e.code == "sync.network", e
    else:
        raise AssertionError("a sync to a closed port succeeded")
    failure = store.sync_status().last_error
    assert failure is not None and failure.code == "sync.network", failure
    try:
        store.sync(fc.SyncConfig(hq_url="http://127.0.0.1:1", token="t", max_attempts=0), None, None)
    except fc.FieldError.Validation as e:
        assert e.field == "max_attempts", e
    else:
        raise AssertionError("max_attempts = 0 was accepted")
    token = fc.CancelToken()
    token.cancel()
    try:
        store.sync(nowhere, None, token)
    except fc.FieldError.Cancelled:
        pass
    else:
        raise AssertionError("a cancelled sync ran")
    assert store.summary().unsynced_changes > 0
    assert store.get_case(view.id).sync_state == fc.CaseSyncState.PENDING


def test_return_request_and_receipt_checks():
    store = open_store()
    case_id = store.register(registration(serial="RMA-PY-1")).id
    item = fc.ReturnItem(model="YE3-132M-4", serial="RMA-PY-1", quantity=1,
                         reason="Burnt winding", fault="Insulation failure")
    request = fc.ReturnRequest(kind=fc.ReturnKind.RETURN, items=[item], freight=fc.Freight.COMPANY,
                               why_not_on_site="The stator must be rewound at the factory",
                               window_override=None)
    # Bought 2026-06-01 in the home region: outside the one-month window without a reason.
    try:
        store.execute(case_id, fc.CaseCommand.REQUEST_RETURN(request=request))
    except fc.FieldError.Validation as e:
        assert e.field == "window_override", e
        assert "outside the return window" in e.reason, e.reason
    else:
        raise AssertionError("a request outside the window was accepted without a reason")
    request.window_override = "Goodwill for a key account"
    result = store.execute(case_id, fc.CaseCommand.REQUEST_RETURN(request=request))
    (asked,) = result.view.returns
    assert asked.id == result.entry_id, (asked.id, result.entry_id)
    assert asked.state == fc.ReturnState.AWAITING_APPROVAL, asked.state
    assert asked.waiting_for == fc.ChainStep(step="review", role="cs_manager"), asked.waiting_for
    assert not asked.window.within and asked.window.months == 1, asked.window
    assert asked.rma is None and asked.units == 1

    # Goods typed with a number this device has no record of, loose, unlabelled, unmarked.
    receipt = fc.ReceiptInput(
        rma_number="R2612-0001", counted=[fc.CountedItem(model="YE3-132M-4", serial=None, quantity=2)],
        packing=fc.Packing.LOOSE, labelled=False, sorted=False, defect_marked=False, photos=[],
        notes=[fc.CheckNote(check=fc.ReceivingCheck.D, note="Carton crushed", photo=None)],
        outcome=fc.ReceiptOutcome.ACCEPTED, refusal_reason=None)
    view = store.execute(case_id, fc.CaseCommand.RECEIVE_RETURN(receipt=receipt)).view
    assert view.returns[0].receipts == []
    (unmatched,) = view.unmatched_receipts
    checks = {c.check: c for c in unmatched.checks}
    assert list(checks) == [fc.ReceivingCheck.A, fc.ReceivingCheck.C, fc.ReceivingCheck.D,
                            fc.ReceivingCheck.G], list(checks)
    assert checks[fc.ReceivingCheck.A].reasons == [
        "no record of RMA number R2612-0001 here (HQ confirms it at sync)"], checks[fc.ReceivingCheck.A]
    assert checks[fc.ReceivingCheck.D].reasons == []
    assert [n.note for n in checks[fc.ReceivingCheck.D].notes] == ["Carton crushed"]
    assert unmatched.units == 2
    fc.set_locale(fc.Locale.ZH_CN)
    try:
        zh = store.get_case(case_id).unmatched_receipts[0].checks[0]
    finally:
        fc.set_locale(fc.Locale.EN)
    assert zh.title == "A 无退货编号或无该编号记录", zh.title
    assert zh.reasons == ["本设备没有退货编号 R2612-0001 的记录（同步后由总部核对）"], zh.reasons

    # A negative count is refused before the call reaches the case.
    receipt.counted = [fc.CountedItem(model="YE3-132M-4", serial=None, quantity=-1)]
    try:
        store.execute(case_id, fc.CaseCommand.RECEIVE_RETURN(receipt=receipt))
    except fc.FieldError.Validation as e:
        assert e.field == "quantity", e
    else:
        raise AssertionError("a negative quantity was accepted")
    assert len(store.get_case(case_id).unmatched_receipts) == 1


def test_stock():
    """An issue without stock is recorded and flagged below zero; a bad holder is refused."""
    store = open_store()
    recorded = store.record_stock("center:C01", fc.StockCommand.ISSUE(
        part_number="B-6205", quantity=2, case_id="0190f5d2-0000-7000-8000-000000000000",
        line=None, at=None))
    (balance,) = store.stock_balance("center:C01")
    assert (balance.quantity, balance.negative) == (-2, True), balance
    assert balance.went_negative == [recorded.entry_id], balance
    assert store.stock_ledger("center:C01", recorded.quarter).movements[0].delta == -2
    try:
        store.stock_balance("C01")
    except fc.FieldError.Validation as e:
        assert (e.field, e.code) == ("holder", "validation.not_stock_holder"), e
    else:
        raise AssertionError("a holder without its kind was accepted")


def test_list_timing():
    store = open_store()
    for i in range(200):
        store.register(registration(serial=f"SN-{i:05d}"))
    times = []
    for _ in range(11):
        start = time.perf_counter()
        rows = store.list_cases(fc.ListQuery(limit=200)).rows
        times.append((time.perf_counter() - start) * 1000)
        assert len(rows) == 200
    times.sort()
    print(f"python list 200 rows: median {times[len(times) // 2]:.2f} ms")


def main():
    tests = [test_register_and_list, test_commands_and_view,
             test_deadline_records_and_history_in_chinese, test_warranty_check, test_errors,
             test_sync_surface, test_return_request_and_receipt_checks, test_stock, test_list_timing]
    passed = failed = 0
    for test in tests:
        try:
            test()
            passed += 1
            print(f"ok   {test.__name__}")
        except Exception:  # noqa: BLE001 - every failure is reported, then counted
            failed += 1
            print(f"FAIL {test.__name__}")
            traceback.print_exc()
    print(f"python: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
