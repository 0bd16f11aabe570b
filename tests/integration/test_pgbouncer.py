"""[database] statements = unnamed: a pool behind a transaction-pooling
PgBouncer, as many hosts x workers fan in.  In transaction mode the next
transaction may run on another server connection, so a statement prepared
by name on one is unknown on the next; unnamed statements carry their text
each time and work whatever connection PgBouncer picks."""

import concurrent.futures

import pytest

from conftest import (IS_ROOT, TEXT_BALANCE_10042, Proc, check_webhook_response,
                      fcgi_post_json, free_port, psql_rows, session_params, tail, texts_of,
                      unix_accepts, wait_until, webhook_request)
from test_booking import create_req, free_day

BALANCE = webhook_request(tag="database-query",
                          params={"query_type": "account_balance", "user_id": "10042"})


def conninfo_parts(conninfo):
    return dict(kv.split("=", 1) for kv in conninfo.split())


@pytest.fixture(scope="module")
def bouncer(workdir, postgres):
    """PgBouncer in transaction mode in front of the test cluster, with
    fewer server connections than the pool has workers, so that
    consecutive transactions of one worker land on different ones."""
    d = workdir / "pgbouncer"
    d.mkdir(exist_ok=True)
    d.chmod(0o777)  # it runs as postgres when the tests run as root
    pg = conninfo_parts(postgres)
    port = free_port()
    (d / "users.txt").write_text('"cxhook" ""\n')
    ini = d / "pgbouncer.ini"
    ini.write_text(f"""\
[databases]
cxhook = host={pg['host']} port={pg['port']} dbname=cxhook

[pgbouncer]
listen_addr =
listen_port = {port}
unix_socket_dir = {d}
auth_type = trust
auth_file = {d}/users.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 100
ignore_startup_parameters = extra_float_digits
logfile = {d}/pgbouncer.log
pidfile = {d}/pgbouncer.pid
""")
    for f in d.iterdir():
        f.chmod(0o666)
    argv = ["/usr/sbin/pgbouncer"] + (["-u", "postgres"] if IS_ROOT else []) + [ini]
    proc = Proc("pgbouncer", argv, workdir / "pgbouncer.out")
    sock = d / f".s.PGSQL.{port}"
    if not wait_until(lambda: not proc.alive() or unix_accepts(sock), 10) or not proc.alive():
        proc.stop()
        pytest.fail(f"pgbouncer did not start\n{tail(workdir / 'pgbouncer.out')}")
    yield f"host={d} port={port} dbname=cxhook user=cxhook"
    proc.stop()


@pytest.fixture(scope="module")
def bpool(cxhook_bin, workdir, bouncer, database):
    from conftest import start_own_pool
    p = start_own_pool(cxhook_bin, workdir, bouncer, "bouncer", workers=4,
                       extra="\n[database]\nstatements = unnamed\n")
    yield p
    p.proc.stop()


def test_balance_through_pgbouncer(bpool):
    def one(_):
        r = fcgi_post_json(bpool.target, BALANCE)
        return texts_of(check_webhook_response(r, "balance via pgbouncer"))

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        answers = list(ex.map(one, range(80)))
    assert all(TEXT_BALANCE_10042 in a for a in answers), answers[:3]
    log = bpool.log.read_text()
    assert "does not exist" not in log and "database:" not in log, tail(bpool.log)


def test_booking_through_pgbouncer(bpool, database):
    d = free_day(database, "haircut")
    r = fcgi_post_json(bpool.target, create_req("haircut", d, 10, 0, resp_id="bouncer-1"))
    doc = check_webhook_response(r, "booking via pgbouncer")
    params = session_params(doc)
    assert params.get("booking_status") == "confirmed", doc
    rows = psql_rows(database, "SELECT count(*) FROM bookings WHERE confirmation_id = "
                               f"'{params['confirmation_id']}'")
    assert rows == [("1",)], rows
