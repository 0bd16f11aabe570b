"""Account balance and recent transactions from the demo data
(sql/demo/demo_data.sql), through every web server."""

import re

import pytest

from conftest import (TEXT_BALANCE_10042, TEXT_DEFAULT, check_webhook_response,
                      post_json, session_params, texts_of, webhook_request)


def ask(server, **kw):
    r = post_json(server.url, webhook_request(**kw))
    doc = check_webhook_response(r, f"{kw} via {server.name}")
    return doc, texts_of(doc), session_params(doc), r


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# How the request names the query: by tag (parameters in the session) or by
# intent display name (parameters in intentInfo, as this turn resolved them).
ROUTES = {
    "tag": lambda query, extra: dict(
        tag="database-query", params=dict({"query_type": query}, **extra)),
    "intent": lambda query, extra: dict(
        intent={"account_balance": "account.balance",
                "recent_transactions": "account.transactions"}[query],
        intent_params=extra),
}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("user_id", ["10042", 10042, 10042.0], ids=["string", "integer", "float"])
def test_balance(server, route, user_id):
    doc, texts, params, r = ask(server, **ROUTES[route]("account_balance", {"user_id": user_id}))
    assert TEXT_BALANCE_10042 in texts, r
    assert is_number(params.get("balance")) and params["balance"] == 1250.75, r
    assert params.get("currency") == "USD", r
    assert not params.get("error_occurred"), r


def test_intent_param_wins_over_session(server):
    """This turn's intent parameter beats a stale session parameter."""
    doc, texts, params, r = ask(server, intent="account.balance",
                                intent_params={"user_id": "10042"},
                                params={"user_id": "20001"})
    assert TEXT_BALANCE_10042 in texts, r


def test_same_figures_from_lighttpd_and_apache(web):
    req = ROUTES["tag"]("account_balance", {"user_id": "10042"})
    answers = []
    for name in ("lighttpd", "apache"):
        doc, texts, params, r = ask(web.get(name), **req)
        answers.append((texts, params.get("balance"), params.get("currency")))
    assert answers[0] == answers[1], answers
    assert TEXT_BALANCE_10042 in answers[0][0] and answers[0][1:] == (1250.75, "USD"), answers


def test_balance_eur(server):
    doc, texts, params, r = ask(server, **ROUTES["tag"]("account_balance", {"user_id": "20001"}))
    assert any("€310.00" in t for t in texts), r
    assert is_number(params.get("balance")) and params["balance"] == 310.0, r
    assert params.get("currency") == "EUR", r


def test_balance_negative(server):
    """10044 owes 42.50: the figure keeps its sign."""
    doc, texts, params, r = ask(server, **ROUTES["tag"]("account_balance", {"user_id": "10044"}))
    assert any("42.50" in t for t in texts), r
    assert params.get("balance") == -42.5, r


@pytest.mark.parametrize("route", ROUTES)
def test_unknown_account(server, route):
    doc, texts, params, r = ask(server, **ROUTES[route]("account_balance", {"user_id": "99999"}))
    text = " ".join(texts)
    assert "99999" in text, r
    assert re.search(r"not found|(could ?n[o']t|can ?n[o']t) find|no account|does not exist|doesn't exist",
                     text, re.I), f"does not say the account was not found: {text!r}"
    assert params.get("error_occurred") is True, r
    assert params.get("error_code") == "account_not_found", r
    assert "balance" not in params, f"an unknown account must not get a balance: {r!r}"
    assert "$0.00" not in text, r


@pytest.mark.parametrize("route", ROUTES)
def test_missing_user_id(server, route):
    doc, texts, params, r = ask(server, **ROUTES[route]("account_balance", {}))
    assert any("user ID" in t for t in texts), r
    assert "balance" not in params, r


@pytest.mark.parametrize("route", ROUTES)
def test_recent_transactions_limit_3(server, route):
    doc, texts, params, r = ask(server, **ROUTES[route]("recent_transactions",
                                                        {"user_id": "10042", "limit": 3}))
    text = "\n".join(texts)
    assert text.startswith("Your last 3 transactions:"), r
    expected = ["Nov 22: Corner Cafe, -$8.75",
                "Nov 20: Grocery Mart, -$54.20",
                "Nov 18: City Power & Light, -$64.99"]
    positions = [text.find(e) for e in expected]
    assert all(p >= 0 for p in positions), f"missing {expected} in {text!r}"
    assert positions == sorted(positions), f"not newest first: {text!r}"
    assert "Salary" not in text and "Rent" not in text, f"more than 3: {text!r}"
    assert params.get("transaction_count") == 3, r


def test_recent_transactions_default_limit(server):
    doc, texts, params, r = ask(server, **ROUTES["tag"]("recent_transactions",
                                                        {"user_id": "10042"}))
    text = "\n".join(texts)
    assert text.startswith("Your last 5 transactions:"), r
    assert params.get("transaction_count") == 5, r
    assert "Salary" in text and "Streaming Service" in text, r
    assert "Rent" not in text, f"the 6th (the oldest) is beyond 5: {text!r}"


def test_recent_transactions_limit_capped(server):
    """limit is at most 20; 10042 has 6 transactions, so all 6 come back."""
    doc, texts, params, r = ask(server, **ROUTES["tag"]("recent_transactions",
                                                        {"user_id": "10042", "limit": 500}))
    assert params.get("transaction_count") == 6, r
    assert "\n".join(texts).startswith("Your last 6 transactions:"), r


@pytest.mark.parametrize("tag", ["no-such-tag", ""], ids=["unknown", "empty"])
def test_default_handler(server, tag):
    doc, texts, params, r = ask(server, tag=tag, text="hello there")
    assert TEXT_DEFAULT in texts, r
