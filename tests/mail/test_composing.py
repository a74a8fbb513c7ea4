"""Composing: each recipient reads the mail in their language, with the link meant for them."""

from __future__ import annotations

from portal.db import Database
from tests.mail.support import BASE_URL, NBSP, new_request, notify, outbox


def test_each_recipient_reads_the_mail_in_their_language(database: Database, demo: None) -> None:
    alice_request = new_request(database, "alice@acme.example")
    chloe_request = new_request(database, "chloe@globex.example")
    assert notify(database, alice_request, "info_requested", "Which line?") == 1
    assert notify(database, chloe_request, "info_requested", "Quelle ligne ?") == 1

    english, french = outbox(database)
    assert english.recipient_email == "alice@acme.example"
    assert english.subject == f"Request #{alice_request}: a technician has a question"
    assert english.body.startswith("Hello Alice Martin,\n")
    assert f"Request: #{alice_request}, Purchase-order edit" in english.body
    assert "Account: Acme Corporation" in english.body
    assert "Question:\nWhich line?" in english.body
    assert f"{BASE_URL}/requests/{alice_request}" in english.body

    assert french.recipient_email == "chloe@globex.example"
    assert french.subject == f"Demande n°{NBSP}{chloe_request}{NBSP}: un technicien a une question"
    assert french.body.startswith("Bonjour Chloé Dubois,\n")
    assert f"Demande{NBSP}: n°{NBSP}{chloe_request}, Modification de bon de commande" in french.body
    assert f"Compte{NBSP}: Globex SARL" in french.body
    assert f"Question{NBSP}:\nQuelle ligne ?" in french.body
    assert f"Ouvrir la demande{NBSP}: {BASE_URL}/requests/{chloe_request}" in french.body
    assert "Request" not in french.body


def test_staff_get_the_task_link_and_a_retry_queues_nothing(database: Database, demo: None) -> None:
    request_id = new_request(database, "alice@acme.example")
    # Unclaimed: every technician hears of it, each in their language (Théo reads French).
    assert notify(database, request_id, "sla_reminder") == 2
    assert notify(database, request_id, "sla_reminder") == 0
    tess, theo = outbox(database)
    assert (tess.recipient_email, theo.recipient_email) == (
        "tess@logmein.example",
        "theo@logmein.example",
    )
    assert tess.subject == f"Reminder: request #{request_id} is waiting for review"
    assert f"Open the task: {BASE_URL}/console/tasks/{request_id}" in tess.body
    assert theo.subject.startswith(f"Rappel{NBSP}: la demande n°{NBSP}{request_id}")
    assert f"{BASE_URL}/console/tasks/{request_id}" in theo.body


def test_a_new_contact_who_is_not_a_user_gets_the_set_password_link(
    database: Database, demo: None
) -> None:
    request_id = new_request(
        database,
        "chloe@globex.example",
        "contact_change",
        new_contact_email="Hugo@Globex.example",
        new_contact_name="Hugo Petit",
        reason="départ",
    )
    link = f"{BASE_URL}/invitations/secret-token"
    queued = notify(
        database,
        request_id,
        "contact_changed_new",
        recipient_email="Hugo@Globex.example",
        recipient_name="Hugo Petit",
        link=link,
        expires_at="2030-01-31T12:00:00+00:00",
    )
    assert queued == 1
    (mail,) = outbox(database)
    assert mail.recipient_email == "hugo@globex.example"
    # Not a user yet: the requester's language (Chloé's, French) is the best guess.
    assert mail.subject == "Vous êtes désormais le contact de facturation de Globex SARL"
    assert f"lien à usage unique{NBSP}:\n{link}\n" in mail.body
    assert "31 janvier 2030" in mail.body
    assert f"Nouveau contact de facturation{NBSP}: Hugo Petit <Hugo@Globex.example>" in mail.body
