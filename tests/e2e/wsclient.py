"""A minimal Streamlit client over the app's WebSocket (no browser), for load tests.

It speaks what the frontend speaks (checked on Streamlit 1.67): connect to
``ws://HOST:PORT/_stcore/stream`` with subprotocol ``streamlit``; send a ``BackMsg`` with
``rerun_script`` = ``ClientState(query_string, widget_states, page_name)``; read binary
``ForwardMsg`` frames until ``script_finished``. A slider's value travels as
``WidgetState(id, double_array_value=[value])``, a text area's as ``string_value``.

Everything has a timeout; nothing leaves the loopback address the server was started on.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import websocket  # websocket-client
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED = {
    ForwardMsg.FINISHED_SUCCESSFULLY: "ok",
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile error",
    ForwardMsg.FINISHED_EARLY_FOR_RERUN: "early for rerun",
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "fragment ok",
}


class ProtocolError(RuntimeError):
    pass


@dataclass
class RunResult:
    seconds: float                      # BackMsg sent -> script_finished received
    status: str                         # FINISHED[...]
    exceptions: list[str] = field(default_factory=list)   # st.exception / uncaught errors shown
    widgets: dict[str, tuple[str, object]] = field(default_factory=dict)  # key -> (id, value)
    query_string: str | None = None     # last page_info_changed in this run
    charts: int = 0                     # plotly charts delivered
    bytes: int = 0                      # ForwardMsg bytes received


def user_key(widget_id: str) -> str:
    """Keyed widgets have ids '$$ID-<hash>-<user key>'."""
    return widget_id.split("-", 2)[-1]


class Session:
    """One browser-less session on one page, e.g. Session(url, "Gates_z_and_r")."""

    def __init__(self, base_url: str, page_name: str = "", query_string: str = "",
                 timeout: float = 60.0, cookie: str | None = None):
        u = urlparse(base_url)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"load clients only talk to loopback, not {u.hostname!r}")
        self.ws_url = f"ws://{u.hostname}:{u.port}/_stcore/stream"
        self.page_name = page_name
        self.query_string = query_string
        self.timeout = timeout
        self.cookie = cookie                 # "name=value; ..." sent with the handshake
        self.session_id = ""                 # the server's id of this session (new_session)
        self.ws: websocket.WebSocket | None = None
        self.widgets: dict[str, tuple[str, object]] = {}
        self.kinds: dict[str, str] = {}      # key -> the widget's kind (how its value travels)
        self.sent: dict[str, object] = {}    # values this client set, sent again every rerun
        self.page_script_hash = ""

    # -- connection
    def connect(self) -> "Session":
        self.ws = websocket.create_connection(self.ws_url, subprotocols=["streamlit"],
                                              timeout=self.timeout, enable_multithread=True,
                                              cookie=self.cookie)
        return self

    def close(self) -> None:
        if self.ws is not None:
            try:
                self.ws.close(timeout=2)
            except Exception:
                pass
            self.ws = None

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc):
        self.close()

    # -- runs
    def rerun(self, changes: dict[str, object] | None = None) -> RunResult:
        """Rerun the page; `changes` maps widget user keys to new values (sliders and number
        inputs: numbers, text areas: str, radios and selectboxes: the option as shown, buttons:
        True for a click). Values set earlier are sent again, as the browser does. Returns when
        the script has finished (or raises ProtocolError / TimeoutError)."""
        if self.ws is None:
            raise ProtocolError("not connected")
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_name = self.page_name
        if self.page_script_hash:
            cs.page_script_hash = self.page_script_hash
        changes = dict(changes or {})
        # like the browser, send every value set so far (a widget missing from a rerun's states
        # falls back to its default); a button's click is sent once
        self.sent.update({k: v for k, v in changes.items() if self.kinds.get(k) != "button"})
        for key, value in {**self.sent, **changes}.items():
            if key not in self.widgets:
                raise ProtocolError(f"no widget with key {key!r} (have {sorted(self.widgets)})")
            wid, _ = self.widgets[key]
            ws = cs.widget_states.widgets.add()
            ws.id = wid
            kind = self.kinds.get(key)
            if kind == "button":                       # a click
                ws.trigger_value = True
            elif kind in ("radio", "selectbox"):       # the option as shown (format_func)
                ws.string_value = str(value)
            elif kind == "number_input":
                ws.double_value = float(value)
            elif isinstance(value, str):
                ws.string_value = value
            elif isinstance(value, bool):
                ws.bool_value = value
            else:
                ws.double_array_value.data.append(float(value))
        start = time.perf_counter()
        self.ws.send_binary(msg.SerializeToString())
        return self._read_until_finished(start)

    def _read_until_finished(self, start: float) -> RunResult:
        result = RunResult(seconds=0.0, status="")
        deadline = start + self.timeout
        while True:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no script_finished within {self.timeout} s")
            try:
                opcode, data = self.ws.recv_data()
            except websocket.WebSocketTimeoutException as exc:
                raise TimeoutError(f"no message within {self.timeout} s") from exc
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                raise ProtocolError("server closed the connection")
            if opcode != websocket.ABNF.OPCODE_BINARY:
                continue
            result.bytes += len(data)
            fm = ForwardMsg()
            fm.ParseFromString(data)
            kind = fm.WhichOneof("type")
            if kind == "new_session" and fm.new_session.initialize.session_id:
                self.session_id = fm.new_session.initialize.session_id
            elif kind == "navigation" and fm.navigation.page_script_hash:
                self.page_script_hash = fm.navigation.page_script_hash   # the page that ran
            elif kind == "page_info_changed":
                result.query_string = fm.page_info_changed.query_string
                self.query_string = result.query_string
            elif kind == "delta":
                self._delta(fm.delta, result)
            elif kind == "ref_hash":
                raise ProtocolError("server sent a cached-message reference; this client "
                                    "announces no cache, so that should not happen")
            elif kind == "script_finished":
                result.seconds = time.perf_counter() - start
                result.status = FINISHED.get(fm.script_finished, str(fm.script_finished))
                if fm.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue              # a rerun follows (e.g. st.rerun()); wait for it
                result.widgets = dict(self.widgets)
                return result

    def _delta(self, delta, result: RunResult) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        kind = el.WhichOneof("type")
        if kind == "exception":
            result.exceptions.append(f"{el.exception.type}: {el.exception.message}")
        elif kind == "plotly_chart":
            result.charts += 1
        elif kind == "slider":
            s = el.slider
            value = list(s.value) or list(s.default)
            self.widgets[user_key(s.id)] = (s.id, value[0] if len(value) == 1 else value)
        elif kind in ("button", "radio", "selectbox", "number_input"):
            w = getattr(el, kind)
            self.widgets[user_key(w.id)] = (w.id, None)
            self.kinds[user_key(w.id)] = kind
        elif kind == "text_area":
            t = el.text_area
            self.widgets[user_key(t.id)] = (t.id, t.value if t.HasField("value") else t.default)
