"""SIGHUP reloads the pool: a new generation of workers replaces the old
one while requests keep flowing, and none of them is dropped."""
import concurrent.futures
import os
import signal
import threading
import time

from conftest import (TEXT_BALANCE_10042, fcgi_post_json, texts_of,
                      wait_until, webhook_request)

BALANCE = webhook_request(tag="database-query",
                          params={"query_type": "account_balance", "user_id": "10042"})


def test_reload_under_load_drops_nothing(make_pool):
    pool = make_pool("reload", workers=3)
    before = pool.wait_workers(3)
    assert before, f"expected 3 workers: {sorted(pool.workers())}"
    stop = threading.Event()
    results = []

    def caller():
        # Bounded: the test stops the callers after five reloads.
        for _ in range(2000):
            if stop.is_set():
                return
            try:
                r = fcgi_post_json(pool.target, BALANCE, timeout=5)
                ok = r.status == 200 and TEXT_BALANCE_10042 in texts_of(r.json())
                what = repr(r)[:200]
            except Exception as e:  # a refused or cut connection is a failure
                ok, what = False, repr(e)
            results.append((ok, what))

    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        futures = [ex.submit(caller) for _ in range(6)]
        generation = before
        for i in range(5):
            time.sleep(0.3)
            os.kill(pool.pid, signal.SIGHUP)
            old = generation
            generation = wait_until(lambda: (lambda w: len(w) == 3 and not (w & old) and w)(
                pool.workers()), timeout=10)
            assert generation, \
                f"reload {i + 1} did not replace the workers: {sorted(pool.workers())}"
        time.sleep(0.3)
        stop.set()
        for f in futures:
            f.result(timeout=30)

    assert pool.proc.alive(), "the master died during a reload"
    failed = [body for ok, body in results if not ok]
    assert len(results) > 100, f"only {len(results)} requests were made"
    assert not failed, f"{len(failed)} of {len(results)} requests failed: {failed[:3]}"


def test_reload_with_a_broken_config_keeps_the_running_one(make_pool):
    pool = make_pool("reload-bad", workers=2)
    before = pool.wait_workers(2)
    assert before
    good = pool.conf.read_text()
    pool.conf.write_text(good + "\n[pool]\nworkers = many\n")
    try:
        os.kill(pool.pid, signal.SIGHUP)
        assert wait_until(lambda: "reload refused" in pool.log.read_text(), timeout=5), \
            pool.log.read_text()[-2000:]
        assert pool.workers() == before, "workers were replaced by a refused reload"
        r = fcgi_post_json(pool.target, BALANCE, timeout=5)
        assert r.status == 200 and TEXT_BALANCE_10042 in texts_of(r.json()), r
    finally:
        pool.conf.write_text(good)
