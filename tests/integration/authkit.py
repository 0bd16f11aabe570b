"""What the webhook-authentication tests need beside cxhook, all on
127.0.0.1 and all made at test time (python3-cryptography):

RsaKey           an RSA-2048 signing key with a kid, as a JWK
JwksStub         a Google-shaped JWKS endpoint (GET /NAME -> {"keys":[...]}),
                 one route per pool, each with its own keys, Cache-Control,
                 Age, delay, failure and fetch counts
mint, forge      RS256 ID tokens as Google signs them for Dialogflow, and
                 every kind of bad one
Pki              a test CA, a server certificate for 127.0.0.1/localhost,
                 client certificates (one from another CA)
start_tls_web_server
                 lighttpd, Apache or nginx on HTTPS, verifying client
                 certificates optionally, generated exactly as conftest
                 generates the plain ones (the shipped conf/ snippets
                 included) plus the operator's TLS lines
https_request    conftest.http_request over TLS, with or without a client
                 certificate
"""

import base64
import contextlib
import datetime
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import socket
import ssl
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import conftest
from conftest import (TIMEOUT, Proc, WebServer, free_port, http_request, tail, tcp_accepts,
                      wait_until)
from stubs import _StubBase

ISSUER = "https://accounts.google.com"
SA_EMAIL = "service-123456789012@gcp-sa-dialogflow.iam.gserviceaccount.com"
OTHER_SA_EMAIL = "service-210987654321@gcp-sa-dialogflow.iam.gserviceaccount.com"
REMOVE = object()  # as a claim or header value: leave that field out


# --------------------------------------------------------------------------
# base64url (RFC 7515: no padding)

def b64u(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_bytes(n):
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


# --------------------------------------------------------------------------
# Keys and tokens

class RsaKey:
    """An RSA-2048 key pair with a kid (40 hex digits, as Google's are)."""

    def __init__(self, kid=None):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = kid or secrets.token_hex(20)

    def jwk(self):
        pub = self.key.public_key().public_numbers()
        return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid,
                "n": b64u(_int_bytes(pub.n)), "e": b64u(_int_bytes(pub.e))}

    def sign(self, data):
        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def public_pem(self):
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _apply(d, over):
    for k, v in over.items():
        if v is REMOVE:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def claims(audience, now=None, **over):
    """An ID token's claims as Google signs them for a Dialogflow CX
    webhook call; over changes a claim (REMOVE leaves it out)."""
    now = int(time.time()) if now is None else now
    return _apply({"aud": audience, "azp": "109876543210987654321",
                   "email": SA_EMAIL, "email_verified": True,
                   "exp": now + 3600, "iat": now, "iss": ISSUER,
                   "sub": "109876543210987654321"}, over)


def header(key, **over):
    return _apply({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, over)


def _json(obj):
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def jws(header_bytes, payload_bytes, signer):
    """header.payload.signature over the exact bytes given; signer maps the
    signing input to the signature (bytes)."""
    signing_input = f"{b64u(header_bytes)}.{b64u(payload_bytes)}"
    return f"{signing_input}.{b64u(signer(signing_input.encode('ascii')))}"


def mint(key, audience, hdr=None, **over):
    """A good RS256 ID token signed by key; hdr changes header fields,
    over changes claims (REMOVE leaves one out)."""
    return jws(_json(header(key, **(hdr or {}))), _json(claims(audience, **over)), key.sign)


def split(token):
    return token.split(".")


def _flip_in_json(text, needle):
    """text (JSON bytes) with one bit of the first character of needle
    flipped, needle being inside a string value: still JSON, another value."""
    i = text.index(needle)
    flipped = bytearray(text)
    flipped[i] ^= 0x01
    out = bytes(flipped)
    assert json.loads(out) != json.loads(text), needle
    return out


def forge(key, audience):
    """Every bad token the tests send, by name. key is the pool's trusted
    key (in the JWKS); each token is otherwise as good as mint()'s."""
    good_h, good_c = header(key), claims(audience)
    h, p, s = split(mint(key, audience))
    now = int(time.time())
    out = {}

    out["alg-none"] = f"{b64u(_json(header(key, alg='none')))}.{p}."
    out["alg-lowercase"] = mint(key, audience, hdr={"alg": "rs256"})
    # The public key's PEM as an HMAC secret: a verifier that lets the
    # token choose its algorithm would accept this.
    out["alg-hs256-pubkey"] = jws(
        _json(header(key, alg="HS256")), _json(good_c),
        lambda data: hmac.new(key.public_pem(), data, hashlib.sha256).digest())
    ec_key = ec.generate_private_key(ec.SECP256R1())

    def es256(data):
        r, s_ = decode_dss_signature(ec_key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s_.to_bytes(32, "big")

    out["alg-es256"] = jws(_json(header(key, alg="ES256")), _json(good_c), es256)

    sig = bytearray(b64u_decode(s))
    sig[len(sig) // 2] ^= 0x01
    out["flip-signature"] = f"{h}.{p}.{b64u(bytes(sig))}"
    hb, pb = _json(good_h), _json(good_c)
    out["flip-payload"] = f"{h}.{b64u(_flip_in_json(pb, b'109876'))}.{s}"
    out["flip-header"] = f"{b64u(_flip_in_json(hb, b'JWT'))}.{p}.{s}"

    out["unknown-kid"] = mint(key, audience, hdr={"kid": secrets.token_hex(20)})
    out["expired"] = mint(key, audience, iat=now - 7200, exp=now - 3600)
    out["issued-in-future"] = mint(key, audience, iat=now + 3600, exp=now + 7200)
    out["lives-over-24h"] = mint(key, audience, iat=now, exp=now + 25 * 3600)
    out["wrong-aud"] = mint(key, audience, aud="https://other.example/x")
    out["wrong-aud-array"] = mint(key, audience, aud=["https://other.example/x",
                                                      audience + "/"])
    out["wrong-iss"] = mint(key, audience, iss="https://evil.example.com")
    out["other-email"] = mint(key, audience, email=OTHER_SA_EMAIL)
    out["email-unverified"] = mint(key, audience, email_verified=False)
    out["email-verified-string"] = mint(key, audience, email_verified="true")

    out["over-4kib"] = mint(key, audience, pad="x" * 3200)
    assert 4096 < len(out["over-4kib"]) < 6000
    out["two-parts"] = f"{h}.{p}"
    out["four-parts"] = f"{h}.{p}.{s}.{s}"
    out["bad-b64-char"] = f"{h}.{p[:10]}*{p[11:]}.{s}"
    # The standard alphabet instead of the URL one: a lax decoder would
    # read the right signature.
    std = s.replace("-", "+").replace("_", "/")
    while std == s:
        h2, p2, s = split(mint(key, audience, jti=secrets.token_hex(8)))
        std = s.replace("-", "+").replace("_", "/")
        h, p = h2, p2
    out["b64-standard-alphabet"] = f"{h}.{p}.{std}"
    # A first "aud" that is wrong and a second that is right: a parser that
    # keeps the last of duplicate keys would accept it.
    body = _json(good_c)
    dup = b'{"aud":"https://other.example/x",' + body[1:]
    assert dup.count(b'"aud"') == 2
    out["duplicate-key"] = jws(hb, dup, key.sign)
    out["trailing-garbage"] = jws(hb, body + b" x", key.sign)
    return out


# --------------------------------------------------------------------------
# JWKS endpoint

class JwksRoute:
    """One JWKS URL (one pool's). Change it at any time:
        keys           the RsaKeys served (rotate by assigning)
        cache_control  the Cache-Control header (None: no header)
        age            the Age header in seconds (None: no header)
        delay          seconds to wait before answering
        fail           None, an HTTP status (500) or "close" (the connection
                       is closed without a byte)
    Counts: hits (every request), served (each 200 with keys)."""

    def __init__(self, stub, name, keys, max_age=3600, age=None):
        self.stub = stub
        self.name = name
        self.keys = list(keys)
        self.cache_control = f"public, max-age={max_age}, must-revalidate, no-transform"
        self.age = age
        self.delay = 0.0
        self.fail = None
        self.hits = 0
        self.served = 0
        self.times = []  # time.monotonic() of each hit

    @property
    def url(self):
        return f"http://127.0.0.1:{self.stub.port}/{self.name}"

    def set(self, **kw):
        with self.stub.lock:
            for k, v in kw.items():
                assert hasattr(self, k), k
                setattr(self, k, v)

    def counts(self):
        with self.stub.lock:
            return self.hits, self.served

    def wait_hits(self, n, timeout):
        return wait_until(lambda: self.counts()[0] >= n, timeout)


class JwksStub(_StubBase):
    def __init__(self):
        super().__init__(0)
        self.routes = {}

    def route(self, name, keys, max_age=3600, age=None):
        r = JwksRoute(self, name, keys, max_age, age)
        with self.lock:
            self.routes["/" + name] = r
        return r

    def on_get(self, h):
        with self.lock:
            r = self.routes.get(h.path)
            if r is not None:
                r.hits += 1
                r.times.append(time.monotonic())
                delay, fail = r.delay, r.fail
                body = json.dumps({"keys": [k.jwk() for k in r.keys]}).encode("utf-8")
                cc, age = r.cache_control, r.age
        if r is None:
            h.send_json(404, {"error": "no such JWKS"})
            return
        if delay and not self.sleep(delay):
            return
        if fail == "close":
            with contextlib.suppress(OSError):
                h.connection.shutdown(socket.SHUT_RDWR)
            h.close_connection = True
            return
        if fail:
            h.send_json(int(fail), {"error": "key server is having a bad day"})
            return
        try:
            h.send_response(200)
            h.send_header("Content-Type", "application/json; charset=UTF-8")
            h.send_header("Content-Length", str(len(body)))
            if cc is not None:
                h.send_header("Cache-Control", cc)
            if age is not None:
                h.send_header("Age", str(age))
            h.end_headers()
            h.wfile.write(body)
        except OSError:
            return
        with self.lock:
            r.served += 1

    def on_post(self, h):
        h.send_json(405, {"error": "GET only"}, {"Allow": "GET"})


# --------------------------------------------------------------------------
# Certificates

def _name(cn, org="cxhook-test"):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, key, issuer, issuer_key, ca=False, eku=None, san=None):
    now = datetime.datetime.utcnow()
    b = (x509.CertificateBuilder()
         .subject_name(subject).issuer_name(issuer)
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(hours=1))
         .not_valid_after(now + datetime.timedelta(days=2))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True,
            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                            critical=False)
    else:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if san:
        b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


class Pki:
    """Written to directory d (mode 0755, files 0644: test material the web
    servers' users may read):
        ca.pem                  the CA clients are verified against
        server.pem, server.key  127.0.0.1 and localhost, by that CA
        client.pem/.key         CN=dialogflow-test-XXXX,O=cxhook-test, by the CA
        other-dn.pem/.key       CN=someone-else-XXXX,O=cxhook-test, by the CA
        rogue.pem/.key          the same DN as client, by another CA
    A client is a (certfile, keyfile) pair: client, other_dn, rogue.
    cn / dn_rfc2253 / dn_oneline: the good client's subject, as nginx and
    Apache (RFC 2253) and as OpenSSL's one-line form write it."""

    def __init__(self, d):
        d = Path(d)
        d.mkdir(mode=0o755, parents=True, exist_ok=True)
        d.chmod(0o755)
        self.dir = d
        tag = secrets.token_hex(3)
        self.cn = f"dialogflow-test-{tag}"
        self.other_cn = f"someone-else-{tag}"
        self.dn_rfc2253 = f"CN={self.cn},O=cxhook-test"
        self.dn_oneline = f"/O=cxhook-test/CN={self.cn}"
        self.other_dn_rfc2253 = f"CN={self.other_cn},O=cxhook-test"

        ca_key = self._key()
        ca = _cert(_name("cxhook-test CA"), ca_key, _name("cxhook-test CA"), ca_key, ca=True)
        rogue_ca_key = self._key()
        rogue_ca = _cert(_name("cxhook-test CA"), rogue_ca_key, _name("cxhook-test CA"),
                         rogue_ca_key, ca=True)
        self.ca_file = self._write("ca.pem", ca)
        skey = self._key()
        self.server_cert = self._write("server.pem", _cert(
            _name("localhost"), skey, ca.subject, ca_key,
            eku=[ExtendedKeyUsageOID.SERVER_AUTH],
            san=[x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                 x509.DNSName("localhost")]))
        self.server_key = self._write_key("server.key", skey)
        self.client = self._client("client", self.cn, ca, ca_key)
        self.other_dn = self._client("other-dn", self.other_cn, ca, ca_key)
        self.rogue = self._client("rogue", self.cn, rogue_ca, rogue_ca_key)

    @staticmethod
    def _key():
        return ec.generate_private_key(ec.SECP256R1())

    def _write(self, name, cert):
        p = self.dir / name
        p.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        p.chmod(0o644)
        return p

    def _write_key(self, name, key):
        p = self.dir / name
        p.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
        p.chmod(0o644)
        return p

    def _client(self, name, cn, ca, ca_key):
        key = self._key()
        cert = _cert(_name(cn), key, ca.subject, ca_key,
                     eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
        return (self._write(f"{name}.pem", cert), self._write_key(f"{name}.key", key))


# --------------------------------------------------------------------------
# Web servers on HTTPS: conftest's configurations (the conf/ snippets
# included as shipped) plus the TLS lines an operator puts in the server's
# own configuration, as the snippets' comments show them. Client
# certificates are asked for but not required, and one from an unknown CA
# still reaches cxhook (lighttpd enforce "disable", Apache and nginx
# optional_no_ca), so that cxhook's own refusal is what is tested.

def _tls_lighttpd(text, pki):
    return text + f"""\
server.modules += ( "mod_openssl" )
ssl.engine = "enable"
ssl.pemfile = "{pki.server_cert}"
ssl.privkey = "{pki.server_key}"
ssl.verifyclient.activate = "enable"
ssl.verifyclient.enforce = "disable"
ssl.verifyclient.ca-file = "{pki.ca_file}"
ssl.verifyclient.depth = 2
"""


def _tls_apache(text, pki):
    mods = "/usr/lib/apache2/modules"
    tls = f"""\
LoadModule ssl_module {mods}/mod_ssl.so
SSLEngine on
SSLSessionCache none
SSLCertificateFile "{pki.server_cert}"
SSLCertificateKeyFile "{pki.server_key}"
SSLCACertificateFile "{pki.ca_file}"
SSLVerifyClient optional_no_ca
SSLVerifyDepth 2
"""
    assert text.count("\nInclude ") == 1, text
    return text.replace("\nInclude ", "\n" + tls + "Include ", 1)


def _tls_nginx(text, pki):
    listen = re.search(r"listen (127\.0\.0\.1:\d+);", text)
    assert listen, text
    tls = f"""listen {listen.group(1)} ssl;
        ssl_certificate {pki.server_cert};
        ssl_certificate_key {pki.server_key};
        ssl_client_certificate {pki.ca_file};
        ssl_verify_client optional_no_ca;
        ssl_verify_depth 2;"""
    return text.replace(listen.group(0), tls, 1)


_TLS = {"lighttpd": _tls_lighttpd, "apache": _tls_apache, "nginx": _tls_nginx}


def start_tls_web_server(name, workdir, sock, tag, pki, timeout=15):
    """name (lighttpd, apache, nginx) on https://127.0.0.1:PORT in front of
    the pool at sock. Returns conftest's WebServer, with .tls = True."""
    port = free_port()
    conf, argv, errlog = conftest.CONFIGS[name](workdir, port, sock, tag)
    conf = Path(conf)
    conf.write_text(_TLS[name](conf.read_text(), pki))
    proc = Proc(name, argv, Path(workdir) / f"{tag}.out")
    ok = wait_until(lambda: not proc.alive() or tcp_accepts(port), timeout)
    if not ok or not proc.alive():
        proc.stop()
        raise RuntimeError(f"{name} (TLS) did not start on port {port}\n"
                           f"output:\n{tail(proc.log)}\nerror log:\n{tail(errlog)}")
    ws = WebServer(name, proc, port, errlog)
    ws.base = f"https://127.0.0.1:{port}"
    ws.url = ws.base + "/webhook"
    ws.tls = True
    return ws


def https_request(url, method="POST", body=None, headers=None, cafile=None,
                  client=None, timeout=TIMEOUT):
    """One request on a fresh TLS connection that verifies the server
    against cafile; client: a (certfile, keyfile) pair to present, or
    None to present none."""
    ctx = ssl.create_default_context(cafile=str(cafile))
    if client is not None:
        ctx.load_cert_chain(str(client[0]), str(client[1]))
    return http_request(url, method, body, headers, timeout=timeout, tls=ctx)


# --------------------------------------------------------------------------
# /metrics

_SAMPLE = re.compile(r"(?m)^(cxhook_[a-z_]+)(\{[^}]*\})? (\S+)$")


def parse_metrics(text):
    """{(name, labels): value}; labels is the text between the braces
    ('' for none), e.g. ('cxhook_auth_refused_total',
    'mode="id_token",reason="expired"')."""
    return {(m.group(1), (m.group(2) or "{}")[1:-1]): float(m.group(3))
            for m in _SAMPLE.finditer(text)}


def refused(mode, reason):
    return ("cxhook_auth_refused_total", f'mode="{mode}",reason="{reason}"')


def accepted(mode):
    return ("cxhook_auth_accepted_total", f'mode="{mode}"')
