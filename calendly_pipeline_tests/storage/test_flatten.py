"""API JSON (the official spec's own examples, plus objects built from its schemas) -> frames
that fit the raw tables exactly, written to and read back from a real DuckDB file."""

from __future__ import annotations

import hashlib
from typing import Any

import duckdb
import pandas as pd
import pytest

from calendly_pipeline.storage import raw_tables as rt
from calendly_pipeline.storage import reads, writes
from calendly_pipeline.storage.spec import TableSpec, pandas_dtypes
from calendly_pipeline.transforms import flatten

API = "https://api.calendly.com"
ORG = f"{API}/organizations/O1"


def fits(spec: TableSpec, frame: pd.DataFrame) -> None:
    assert list(frame.columns) == spec.column_names
    assert {c: str(t) for c, t in frame.dtypes.items()} == {
        c: str(pd.Series(dtype=t).dtype) for c, t in pandas_dtypes(spec).items()
    }


def round_trip(conn: duckdb.DuckDBPyConnection, spec: TableSpec, frame: pd.DataFrame) -> None:
    """Written and read back unchanged: the dtypes and values fit the DuckDB columns."""
    fits(spec, frame)
    writes.replace_all(conn, spec, frame)
    back = reads.read_table(conn, spec).sort_values(list(spec.primary_key), ignore_index=True)
    expected = frame.sort_values(list(spec.primary_key), ignore_index=True)
    pd.testing.assert_frame_equal(back, expected)


def test_invitees_from_spec_example(conn: duckdb.DuckDBPyConnection, example) -> None:
    items = example("/scheduled_events/{uuid}/invitees")
    frame = flatten.invitees(items, pii="hash", salt="pepper")
    round_trip(conn, rt.INVITEES, frame)
    row = frame.iloc[0]
    assert row["event_uri"] == items[0]["event"]
    assert row["email_domain"] == "example.com" and pd.isna(row["name"])
    assert row["payment_provider"] == "stripe" and row["payment_amount"] == 1234.56
    assert row["payment_successful"] is True or bool(row["payment_successful"])
    assert row["reconfirmation_confirmed_at"] == pd.Timestamp("2020-11-23T20:01:18.341657Z")
    assert row["routing_form_submission"] == items[0]["routing_form_submission"]
    assert not row["text_reminder"]
    answers = flatten.invitee_questions_and_answers(items)
    round_trip(conn, rt.INVITEE_QUESTIONS_AND_ANSWERS, answers)
    assert answers["position"].tolist() == [0, 1, 2]
    assert answers.loc[1, "answer"] == "Multiple line\nAnswer"


def test_canceled_invitee_with_no_show_and_tracking(example) -> None:
    item = example("/scheduled_events/{event_uuid}/invitees/{invitee_uuid}", "Canceled Invitee")
    item = {
        **item,
        "no_show": {"uri": f"{API}/invitee_no_shows/N1", "created_at": "2026-01-05T10:00:00Z"},
        "tracking": {**(item.get("tracking") or {}), "utm_source": "newsletter"},
        "text_reminder_number": "+1 404-555-1234",
        "payment": {**item["payment"], "amount": "12.50"},  # the 2026 spec types it as a string
        # The 2026 spec requires `created_at` here; the 2023 example predates it.
        "cancellation": {**item["cancellation"], "created_at": "2026-01-04T09:00:00.000000Z"},
    }
    row = flatten.invitees([item], pii="keep").iloc[0]
    assert (
        row["status"] == "canceled"
        and row["canceler_type"] == item["cancellation"]["canceler_type"]
    )
    assert row["canceled_at"] == pd.Timestamp(item["cancellation"]["created_at"])
    assert row["no_show_uri"] == f"{API}/invitee_no_shows/N1"
    assert row["utm_source"] == "newsletter" and bool(row["text_reminder"])
    assert row["payment_amount"] == 12.5
    assert row["email"] == item["email"] and row["name"] == item["name"]


@pytest.mark.parametrize("mode", flatten.PII_MODES)
def test_invitee_pii_modes(mode: str) -> None:
    item = {"uri": "i1", "event": "e1", "email": " Jane.Doe@Client.Example ", "name": "Jane Doe"}
    row = flatten.invitees([item], pii=mode, salt="pepper").iloc[0]
    assert row["email_domain"] == "client.example"
    if mode == "hash":
        digest = hashlib.sha256(b"pepper" + b"jane.doe@client.example").hexdigest()
        assert row["email"] == digest and pd.isna(row["name"])
        other = flatten.invitees([item], pii="hash", salt="salt2").iloc[0]["email"]
        assert other != digest  # the salt matters
    elif mode == "keep":
        assert row["email"] == item["email"] and row["name"] == "Jane Doe"
    else:
        assert pd.isna(row["email"]) and pd.isna(row["name"])


def test_invitee_pii_bad_settings_are_named() -> None:
    with pytest.raises(ValueError, match="invitee_pii must be one of hash, keep, drop; got 'mask'"):
        flatten.invitees([], pii="mask", salt="s")
    with pytest.raises(ValueError, match="needs a non-empty salt"):
        flatten.invitees([], pii="hash", salt="")


def test_scheduled_events_and_hosts_from_spec_example(
    conn: duckdb.DuckDBPyConnection, example
) -> None:
    items = example("/scheduled_events")
    canceled = {
        **items[0],
        "uri": f"{API}/scheduled_events/E2",
        "status": "canceled",
        "location": None,
        "cancellation": {
            "canceled_by": "Ann",
            "reason": "sick",
            "canceler_type": "invitee",
            "created_at": "2019-08-20T10:00:00.000000Z",
        },
        "event_memberships": [
            {"user": f"{API}/users/U1", "user_email": "u1@acme.test", "user_name": "U One"},
            {"user": f"{API}/users/U2", "user_email": "u2@acme.test", "user_name": "U Two"},
        ],
    }
    events = flatten.scheduled_events([*items, canceled])
    round_trip(conn, rt.SCHEDULED_EVENTS, events)
    assert events["location_type"].tolist()[0] == "physical" and pd.isna(
        events.loc[1, "location_type"]
    )
    assert events["guest_count"].tolist() == [1, 1]
    assert events.loc[1, "canceler_type"] == "invitee" and events.loc[1, "cancel_reason"] == "sick"
    hosts = flatten.event_hosts([*items, canceled])
    round_trip(conn, rt.EVENT_HOSTS, hosts)
    assert len(hosts) == 3 and hosts.loc[2, "user_name"] == "U Two"


def test_event_types_and_hosts(conn: duckdb.DuckDBPyConnection, example) -> None:
    items = example("/event_types")
    team = {
        **items[0],
        "uri": f"{API}/event_types/T2",
        "pooling_type": "collective",
        "profile": {"type": "Team", "name": "Sales", "owner": f"{API}/teams/X"},
        "duration_options": [15, 30, 60],
        "locations": [{"kind": "zoom_conference"}, {"kind": "physical", "location": "HQ"}],
        "custom_questions": [
            {
                "name": "Why?",
                "type": "text",
                "position": 0,
                "enabled": True,
                "required": True,
                "answer_choices": [],
                "include_other": False,
            },
            {
                "name": "Off",
                "type": "text",
                "position": 1,
                "enabled": False,
                "required": False,
                "answer_choices": [],
                "include_other": False,
            },
        ],
    }
    frame = flatten.event_types([*items, team])
    round_trip(conn, rt.EVENT_TYPES, frame)
    row = frame.set_index("uri").loc[team["uri"]]
    assert row["duration_options"] == [15, 30, 60]
    assert row["location_kinds"] == ["zoom_conference", "physical"]
    assert row["custom_questions_enabled"] == 1 and row["profile_type"] == "Team"
    stored = conn.execute(
        "SELECT duration_options, location_kinds, custom_questions->>'$[0].name' "
        "FROM raw.event_types WHERE uri = ?",
        [team["uri"]],
    ).fetchall()
    assert stored == [([15, 30, 60], ["zoom_conference", "physical"], "Why?")]

    user = example("/users/me")
    membership = {
        "uri": f"{API}/event_type_memberships/ETM1",
        "event_type": team,  # the API embeds the whole EventType
        "member": user,
        "created_at": "2024-01-01T00:00:00.000000Z",
        "updated_at": "2024-01-01T00:00:00.000000Z",
    }
    hosts = flatten.event_type_hosts([membership])
    round_trip(conn, rt.EVENT_TYPE_HOSTS, hosts)
    assert hosts.iloc[0][["event_type_uri", "user_uri", "user_email"]].tolist() == [
        team["uri"], user["uri"], user["email"],
    ]  # fmt: skip


def test_people_and_organization(conn: duckdb.DuckDBPyConnection, example) -> None:
    memberships = example("/organization_memberships")
    roster = flatten.organization_memberships(memberships)
    round_trip(conn, rt.ORGANIZATION_MEMBERSHIPS, roster)
    assert roster.loc[0, "user_email"] == memberships[0]["user"]["email"]  # members keep PII
    users = flatten.users_from_memberships(memberships)
    round_trip(conn, rt.USERS, users)
    assert users.loc[0, "current_organization"] == memberships[0]["organization"]
    me = flatten.users([example("/users/me")])
    round_trip(conn, rt.USERS, me)
    assert me.loc[0, "time_notation"] in ("12h", "24h", None) or pd.isna(me.loc[0, "time_notation"])
    invitations = flatten.organization_invitations(example("/organizations/{uuid}/invitations"))
    round_trip(conn, rt.ORGANIZATION_INVITATIONS, invitations)
    org = {
        "uri": ORG, "name": "Acme", "kind": "multiple", "plan": "teams", "stage": "paid",
        "created_at": "2020-01-01T00:00:00.000000Z", "updated_at": "2026-01-01T00:00:00Z",
    }  # fmt: skip
    round_trip(conn, rt.ORGANIZATIONS, flatten.organizations([org]))


def test_groups_and_relationships_with_both_owner_types(conn: duckdb.DuckDBPyConnection) -> None:
    ts = "2025-01-01T00:00:00.000000Z"
    group = {"uri": f"{API}/groups/G1", "name": "Sales", "organization": ORG,
             "member_count": 2.0, "created_at": ts, "updated_at": ts}  # fmt: skip
    round_trip(conn, rt.GROUPS, flatten.groups([group]))
    base = {"role": "member", "organization": ORG, "group": group["uri"], "created_at": ts,
            "updated_at": ts}  # fmt: skip
    relationships = [
        {**base, "uri": f"{API}/group_relationships/R1",
         "owner": {"type": "OrganizationMembership", "uri": f"{API}/organization_memberships/M1",
                   "role": "user", "user": {"uri": f"{API}/users/U1"}}},
        {**base, "uri": f"{API}/group_relationships/R2", "role": "admin",
         "owner": {"type": "OrganizationInvitation", "uri": f"{ORG}/invitations/I1",
                   "email": "new@acme.test", "status": "pending"}},
    ]  # fmt: skip
    frame = flatten.group_relationships(relationships)
    round_trip(conn, rt.GROUP_RELATIONSHIPS, frame)
    assert frame[["owner_type", "owner_uri"]].values.tolist() == [
        ["OrganizationMembership", f"{API}/organization_memberships/M1"],
        ["OrganizationInvitation", f"{ORG}/invitations/I1"],
    ]


def test_routing_webhooks_and_audit(conn: duckdb.DuckDBPyConnection, example) -> None:
    forms = flatten.routing_forms(example("/routing_forms"))
    round_trip(conn, rt.ROUTING_FORMS, forms)
    assert forms.loc[0, "question_count"] == len(example("/routing_forms")[0]["questions"])
    submissions = example("/routing_form_submissions")
    message = {
        **submissions[0],
        "uri": f"{API}/routing_form_submissions/S2",
        "submitter": None,
        "submitter_type": None,
        "result": {"type": "custom_message", "value": {"headline": "Sorry", "body": "No fit"}},
    }
    frame = flatten.routing_form_submissions([*submissions, message])
    round_trip(conn, rt.ROUTING_FORM_SUBMISSIONS, frame)
    assert frame["result_type"].tolist() == ["event_type", "custom_message"]
    assert frame.loc[1, "result_value"] == '{"headline": "Sorry", "body": "No fit"}'
    hooks = flatten.webhook_subscriptions(example("/webhook_subscriptions"))
    round_trip(conn, rt.WEBHOOK_SUBSCRIPTIONS, hooks)
    assert isinstance(hooks.loc[0, "events"], list)
    log = flatten.activity_log_entries(example("/activity_log_entries"))
    round_trip(conn, rt.ACTIVITY_LOG_ENTRIES, log)
    assert log.loc[0, ["actor_uri", "actor_role", "fully_qualified_name"]].tolist() == [
        f"{API}/users/SDLKJENFJKD123", "Owner", "User.Add",
    ]  # fmt: skip


def test_empty_input_gives_typed_empty_frames() -> None:
    for fn, spec in [
        (flatten.scheduled_events, rt.SCHEDULED_EVENTS),
        (flatten.event_hosts, rt.EVENT_HOSTS),
        (flatten.invitee_questions_and_answers, rt.INVITEE_QUESTIONS_AND_ANSWERS),
        (flatten.activity_log_entries, rt.ACTIVITY_LOG_ENTRIES),
    ]:
        frame = fn([])
        assert frame.empty
        fits(spec, frame)


def test_a_list_element_that_does_not_fit_sets_its_record_aside(
    conn: duckdb.DuckDBPyConnection, example
) -> None:
    good = example("/event_types")[0]
    bad = {**good, "uri": f"{API}/event_types/T9", "duration_options": [15, 2**31]}
    rejects = flatten.Rejects()
    frame = flatten.event_types([good, bad], rejects=rejects)
    assert frame["uri"].tolist() == [good["uri"]]
    assert [(r.key, r.reason) for r in rejects.records] == [
        (bad["uri"], "duration_options: value does not fit INTEGER[] (list)")
    ]
    round_trip(conn, rt.EVENT_TYPES, frame)


def test_a_value_that_does_not_fit_names_table_and_column() -> None:
    bad: dict[str, Any] = {"uri": "e1", "start_time": "next tuesday"}
    with pytest.raises(ValueError, match=r"raw\.scheduled_events\.start_time: value does not fit"):
        flatten.scheduled_events([bad])
    with pytest.raises(ValueError, match=r"raw\.groups has no column\(s\) \['colour'\]"):
        flatten.to_frame(rt.GROUPS, {"uri": ["g"], "colour": ["red"]})
