"""nginx from Debian in front of N `streamlit run` replicas on loopback, with the repo's own
config (deploy/nginx/gml.conf): its replicas app1:8501 and app2:8502 become the loopback
replicas (in the upstreams and in the map that names a replica by its port) and its `listen` a
free port; everything else is the shipped file. Logs and temp files live
in a temporary prefix; the access log (format `gml`) says which replica answered each request.

    with Replicas(2) as replicas, Nginx(replicas.urls) as proxy:
        proxy.url           # http://127.0.0.1:PORT
        proxy.log_lines()   # [{"request", "status", "upstream", "cookie", "answered"}, ...]
"""
from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from .helpers import REPO_ROOT, StreamlitServer, free_port, stop_process

CONF = REPO_ROOT / "deploy" / "nginx" / "gml.conf"
LOG_LINE = re.compile(r'"(?P<request>[^"]*)" (?P<status>\d+) upstream=(?P<upstream>.*) '
                      r'cookie=(?P<cookie>\S*) answered=(?P<answered>\S*)$')
SHIPPED = ("app1:8501", "app2:8502")          # the replicas named in deploy/nginx/gml.conf


def nginx_path() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).is_file()), None)


class Replicas:
    """N app servers sharing one server.cookieSecret, as deploy/compose.yaml runs them."""

    def __init__(self, n: int, extra_args: tuple[str, ...] = ()):
        secret = secrets.token_hex(32)
        # (Streamlit refuses the secret as a command-line flag: it would show in `ps`)
        self.servers = [StreamlitServer(extra_args=extra_args,
                                        env={"STREAMLIT_SERVER_COOKIE_SECRET": secret})
                        for _ in range(n)]

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers]

    def by_address(self, address: str) -> StreamlitServer:
        """The replica behind an upstream address such as "127.0.0.1:40123"."""
        return next(s for s in self.servers if s.url.endswith("//" + address))

    def __enter__(self):
        try:
            for s in self.servers:
                s.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        for s in self.servers:
            s.stop()


def render(conf: str, upstreams: list[str], port: int) -> str:
    """The shipped config with these two replicas and this port."""
    if len(upstreams) != len(SHIPPED):
        raise ValueError(f"deploy/nginx/gml.conf names {len(SHIPPED)} replicas")
    for name, url in zip(SHIPPED, upstreams):
        address = url.split("//", 1)[1]
        if name not in conf:
            raise ValueError(f"deploy/nginx/gml.conf does not name {name}")
        conf = conf.replace(name, address)
        conf = conf.replace(f"~:{name.split(':')[1]}$", f"~:{address.split(':')[1]}$")
    conf, n = re.subn(r"listen \d+;", f"listen 127.0.0.1:{port};", conf)
    if n != 1:
        raise ValueError("deploy/nginx/gml.conf should have one `listen` line")
    return conf


class Nginx:
    """nginx in the foreground with the rendered config, in a temporary prefix."""

    def __init__(self, upstreams: list[str]):
        self.upstreams = upstreams
        self.port = free_port()
        self.prefix = Path(tempfile.mkdtemp(prefix="gml-nginx-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        exe = nginx_path()
        if exe is None:
            raise FileNotFoundError("nginx is not installed (apt-get install -y nginx)")
        (self.prefix / "logs").mkdir()
        (self.prefix / "gml.conf").write_text(render(CONF.read_text(), self.upstreams, self.port))
        temp = "".join(f"    {k}_temp_path {self.prefix}/{k};\n"
                       for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (self.prefix / "nginx.conf").write_text(
            f"daemon off;\npid {self.prefix}/nginx.pid;\nerror_log {self.prefix}/logs/error.log;\n"
            "events { worker_connections 1024; }\n"
            f"http {{\n{temp}    include {self.prefix}/gml.conf;\n"
            f"    access_log {self.prefix}/logs/access.log gml;\n}}\n")
        self.proc = subprocess.Popen([exe, "-p", str(self.prefix), "-c", "nginx.conf"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited: " + self.proc.stderr.read().decode(errors="replace")
                                   + self.error_log())
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("nginx did not answer /_stcore/health: " + self.error_log())

    def __exit__(self, *exc):
        stop_process(self.proc)
        self.proc = None
        shutil.rmtree(self.prefix, ignore_errors=True)

    def error_log(self) -> str:
        p = self.prefix / "logs" / "error.log"
        return p.read_text(errors="replace")[-3000:] if p.exists() else ""

    def log_lines(self) -> list[dict]:
        """The access log so far (a WebSocket is logged when it closes)."""
        p = self.prefix / "logs" / "access.log"
        if not p.exists():
            return []
        return [m.groupdict() for m in map(LOG_LINE.search, p.read_text().splitlines()) if m]
