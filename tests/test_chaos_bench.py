"""bench/chaos.py's accounting: requests and errors per fault window, and what counts as lost
or doubled (bench/load.py's checks), on made-up runs."""

import importlib.util
import sys
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "chaos.py"


def load_bench():
    """bench/ is not an installed package: load the script as a module."""
    spec = importlib.util.spec_from_file_location("bench_chaos", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


chaos = load_bench()
load = chaos.load


def attempts_every_half_second(failing: set[float]) -> list:
    """A request started every 0.5 s from t=0 to t=60, each taking 0.1 s."""
    return [
        load.Attempt(t / 2, t / 2 + 0.1, "file", 503 if t / 2 in failing else 201)
        for t in range(120)
    ]


def test_requests_are_counted_in_the_window_of_the_fault_they_overlap():
    fault = chaos.Fault("restart PostgreSQL", injected=10.0, restored=13.0, healthy=14.0)
    attempts = attempts_every_half_second({10.0, 10.5, 11.0, 12.5, 40.0})

    tallied = chaos.tally(attempts, [fault], started=0.0, seconds=60.0, tail=1.0)

    (window,) = tallied["faults"]
    assert window["window_s"] == [10.0, 15.0]  # until healthy, plus the tail
    assert window["back_after_s"] == 3.0 and window["healthy_after_s"] == 4.0
    assert window["requests"] == 10  # started at 10.0 … 14.5
    assert window["errors"] == 4 and window["error_statuses"] == {503: 4}
    assert window["errors_until_s"] == 2.6  # the last failed request ended at 12.6
    assert tallied["outside_faults"]["requests"] == 110
    assert tallied["outside_faults"]["errors"] == 1  # the one at 40 s is not the fault's
    assert tallied["during_faults"]["error_rate"] == 0.4


def test_faults_are_spaced_over_the_run_and_each_is_made_every_round():
    schedule = chaos.schedule_for(started=100.0, seconds=90.0, rounds=2)

    assert [at for at, _ in schedule] == [110.0, 120.0, 130.0, 140.0, 150.0, 160.0, 170.0, 180.0]
    assert Counter(make for _, make in schedule) == {make: 2 for make in chaos.FAULTS}


class Mailbox:
    def __init__(self, *sent: tuple[str, str]) -> None:
        self.messages = []
        for to, subject in sent:
            message = EmailMessage()
            message["X-Rcpt-To"], message["Subject"] = to, subject
            self.messages.append(message)


def run_as_told() -> load.Shared:
    shared = load.Shared()
    shared.filed = ["AAA-111", "BBB-222"]
    shared.acknowledged_actions = [("AAA-111", "verify")]
    shared.acknowledged = Counter({"verify": 1})
    shared.unknown_actions = [("BBB-222", "verify")]
    return shared


def compare(stored, trail, received, sent=None, backlog=0) -> dict:
    submits = Counter(dict.fromkeys(stored, 1))
    sent = Counter(sent or {("w@example.id", "Diterima"): 1})
    return load.compare(run_as_told(), stored, submits, trail, {}, sent, received, backlog)


def test_a_run_that_kept_everything_once_has_nothing_lost_or_doubled():
    checks = compare(
        Counter({"AAA111": 1, "BBB222": 1}),
        # The action whose answer was lost did happen: allowed, not a double.
        Counter({("AAA111", "verify"): 1, ("BBB222", "verify"): 1}),
        Mailbox(("w@example.id", "Diterima")),
    )

    assert checks["lost_total"] == 0 and checks["doubled_total"] == 0
    assert checks["actions_done_unacknowledged"] == 1


def test_what_is_missing_or_there_twice_is_counted():
    checks = compare(
        Counter({"BBB222": 1, "CCC333": 1}),  # AAA lost; CCC filed twice under another code
        Counter({("AAA111", "verify"): 2}),
        Mailbox(("w@example.id", "Diterima"), ("w@example.id", "Diterima")),
        sent={("w@example.id", "Diterima"): 1, ("x@example.id", "Selesai"): 1},
        backlog=2,
    )

    assert checks["lost"] == {
        "complaints": 1,
        "submit_events": 0,
        "actions": 0,
        "emails": 1,
        "deliveries_left": 2,
    }
    assert checks["doubled"] == {"complaints": 1, "submit_events": 0, "actions": 1, "emails": 1}
    assert checks["emails_twice"] == ["w@example.id: Diterima"]


def test_a_message_sent_again_with_its_message_id_is_a_resend_not_a_double():
    mailbox = Mailbox(("w@example.id", "Diterima"), ("w@example.id", "Diterima"))
    for message in mailbox.messages:
        message["Message-ID"] = "<notification-7.lapor@example.id>"

    checks = compare(Counter({"AAA111": 1, "BBB222": 1}), Counter(), mailbox)

    assert checks["doubled"]["emails"] == 0 and checks["emails_resent_same_message_id"] == 1
