"""JSON of the organization's other records: routing forms and submissions, webhook
subscriptions, the activity log and outgoing communications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from calendly_pipeline.sandbox.features import BIT
from calendly_pipeline.sandbox.generate import served_details
from calendly_pipeline.sandbox.ids import US_PER_DAY, fmt_us, mix64
from calendly_pipeline.sandbox.render.base import WorldView

if TYPE_CHECKING:
    from calendly_pipeline.sandbox.world import World


class Records(WorldView):
    """Routing forms, submissions, webhooks, activity log entries and reminders sent."""

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self._build_comms()

    def routing_form_json(self, idx: int) -> dict:
        f = self.data.routing_forms[idx]
        return {
            "uri": self.uri("routing_form", idx),
            "organization": self.org_uri(),
            "name": f.name,
            "status": f.status,
            "questions": [
                dict(q, uuid=self.world.codec.encode("question", idx * 16 + i))
                for i, q in enumerate(f.questions)
            ],
            "created_at": fmt_us(f.created_us),
            "updated_at": fmt_us(f.updated_us),
        }

    def submission_json(self, idx: int) -> dict:
        s = self.data.submissions[idx]
        form = self.data.routing_forms[s.form]
        h = mix64(self.cfg.seed, idx, 9)
        name, email, _ = (
            self.world.invitees.identity(s.event, 0)
            if s.event >= 0
            else ("Pat Visitor", f"visitor{idx}@example.com", "")
        )
        choices = form.questions[2]["answer_choices"]
        answers = (name, email, choices[h % len(choices)])  # every form asks these three
        qa = [
            {
                "question_uuid": self.world.codec.encode("question", s.form * 16 + i),
                "question": q["name"],
                "answer": answer,
            }
            for i, (q, answer) in enumerate(zip(form.questions, answers, strict=True))
        ]
        if s.result == "event_type":
            result: dict[str, Any] = {
                "type": "event_type",
                "value": self.uri("event_type", form.target_et),
            }
        elif s.result == "external_url":
            result = {"type": "external_url", "value": f"https://www.{self.data.domain}/partners"}
        else:
            result = {
                "type": "custom_message",
                "value": {"headline": "Thanks!", "body": "We will get back to you shortly."},
            }
        routed = s.event >= 0 and not self.data.events.deleted[s.event]
        stamp = fmt_us(s.created_us)
        return {
            "uri": self.uri("submission", idx),
            "routing_form": self.uri("routing_form", s.form),
            "questions_and_answers": qa,
            "tracking": {
                "utm_campaign": None,
                "utm_source": "website" if h % 2 else None,
                "utm_medium": None,
                "utm_content": None,
                "utm_term": None,
                "salesforce_uuid": None,
            },
            "result": result,
            "submitter": self.world.invitee_uri(s.event, 0) if routed else None,
            "submitter_type": "Invitee" if routed else None,
            "created_at": stamp,
            "updated_at": stamp,
        }

    def webhook_json(self, idx: int) -> dict:
        w = self.data.webhooks[idx]
        return {
            "uri": self.uri("webhook", idx),
            "callback_url": w.callback_url,
            "created_at": fmt_us(w.created_us),
            "updated_at": fmt_us(w.updated_us),
            "retry_started_at": fmt_us(w.retry_started_us) if w.retry_started_us else None,
            "state": w.state,
            "events": w.events,
            "scope": w.scope,
            "organization": self.org_uri(),
            "user": self.uri("user", w.user) if w.user is not None else None,
            "group": self.uri("group", w.group) if w.group is not None else None,
            "creator": self.uri("user", w.creator),
        }

    def activity_json(self, idx: int) -> dict:
        e = self.data.activity[idx]
        actor = self.data.users[e.actor]
        return {
            "occurred_at": fmt_us(e.occurred_us),
            "actor": {
                "uri": self.uri("user", actor.idx),
                "type": "User",
                "organization": {"uri": self.org_uri(), "role": actor.role},
                "display_name": actor.name,
                "alternative_identifier": actor.email,
            },
            "details": served_details(e, self.data.users, self.uri),
            "fully_qualified_name": f"{e.namespace}.{e.action}",
            "uri": self.uri("activity", idx),
            "namespace": e.namespace,
            "action": e.action,
            "organization": self.org_uri(),
        }

    def _build_comms(self) -> None:
        """SMS/e-mail reminders one day before events with text reminders or reconfirmation."""
        ev = self.data.events
        sms = np.flatnonzero((ev.flags & BIT["text_reminders"]) != 0)
        email = np.flatnonzero((ev.flags & BIT["reconfirmation"]) != 0)
        eids = np.concatenate([sms, email])
        kinds = np.concatenate([np.zeros(len(sms), np.int8), np.ones(len(email), np.int8)])
        sent = np.maximum(ev.start[eids] - US_PER_DAY, ev.created[eids] + 60_000_000)
        order = np.lexsort((kinds, eids, sent))
        self.comm_sent, self.comm_eid, self.comm_kind = sent[order], eids[order], kinds[order]

    def comm_json(self, i: int) -> dict:
        eid, kind = int(self.comm_eid[i]), int(self.comm_kind[i])
        ev = self.data.events
        et = self.data.event_types[int(ev.et[eid])]
        host = self.data.users[int(ev.host0[eid])]
        name, email, _ = self.world.invitees.identity(eid, 0)
        stamp = fmt_us(int(self.comm_sent[i]))
        common = {
            "sender_uri": self.uri("user", host.idx),
            "sender_email": host.email,
            "event_type_uri": self.uri("event_type", et.idx),
            "event_uri": self.uri("event", eid),
            "sent_at": stamp,
            "created_at": stamp,
            "scheduling_url": f"https://calendly.com/{host.slug}/{et.slug}",
        }
        if kind == 0:
            h = mix64(self.cfg.seed, eid, 5)
            return {
                "type": "sms",
                "to": f"+1 555-02{h % 100:02d}",
                "from": "+1 555-0199",
                "subject": None,
                "body": f"Reminder: {et.name} with {host.name} tomorrow.",
            } | common
        return {
            "type": "email",
            "to": email,
            "from": "notifications@calendly.com",
            "subject": f"Please confirm: {et.name}",
            "body": f"Hi {name}, please confirm your {et.name} with {host.name}.",
        } | common
