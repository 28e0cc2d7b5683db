"""The labels the desk and the ledger page show for the transfer capability's ids: none may leak a raw id."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from agent_console.linkage import labels
from agent_console.linkage.views import ledger_row
from transfer.ledger import LedgerEntry
from transfer.models import KINDS, MODES, RESULTS
from transfer.service import EMERGENCY_NUMBERS
from transfer.states import State


def test_given_every_transfer_state_when_labelled_then_each_has_a_chinese_label():
    assert set(labels.STATES) == {s.value for s in State}
    assert labels.FAILED_STATES <= set(labels.STATES) and labels.FINAL_STATES <= set(labels.STATES)


def test_given_every_kind_target_and_mode_when_labelled_then_each_has_a_chinese_label():
    assert set(labels.KINDS) == set(KINDS)
    assert set(labels.EMERGENCY_TARGETS) == set(EMERGENCY_NUMBERS)
    assert set(MODES) <= set(labels.MODES) and set(RESULTS) == set(labels.RESULTS)
    assert labels.mode_label("subcenter", "blind") == "直接转接" and labels.mode_label("emergency", "blind") == "一键转接"


def test_given_each_way_a_transfer_can_fail_when_shown_then_the_agent_is_told_where_the_citizen_is():
    for kind, mode in (("emergency", "blind"), ("emergency", "threeway"), ("subcenter", "blind"),
                       ("subcenter", "attended")):
        assert labels.FAILED_HINTS[f"{kind}:{mode}"]


def test_given_a_failed_subcenter_row_without_a_number_when_shown_then_labelled_and_marked():
    entry = LedgerEntry(id=7, kind="subcenter", ticket=None, citizen_number=None, linkedid="1.1",
                        citizen_channel="PJSIP/trunk-1", agent_channel="PJSIP/8101-2", target="12315",
                        dial="PJSIP/9001", mode="attended", actor="agent01", state="no_answer", result="no_answer",
                        detail="", summary="", started_at=datetime(2026, 11, 22, 16, 30, tzinfo=UTC),
                        answered_at=None, ended_at=None)
    row = ledger_row(entry, ZoneInfo("Asia/Shanghai"))
    assert (row["kind"], row["target"], row["mode"], row["result"], row["state"]) == (
        "分中心转接", "12315", "咨询转接", "无人接听", "对方无人接听")
    assert (row["failed"], row["citizen"], row["ticket"], row["started"], row["answered"]) == (
        True, "未显示号码", "—", "2026-11-23 00:30:00", "—")
