"""A tiny IMAP4rev1 server on 127.0.0.1 for the ``kmcs_fetch_mail`` tests (issue 16 item 2).

No maintained IMAP test server is packaged for Python (the package lists hold clients only), so
this speaks just what a mail client reading one mailbox needs, over a real socket, with the
standard library's :mod:`imaplib` as the client: the greeting, ``CAPABILITY``, ``LOGIN``,
``SELECT``, ``UID SEARCH UNSEEN``, ``UID FETCH <uid> (BODY.PEEK[])`` (a literal, flags untouched),
``UID STORE <uid> +FLAGS (\\Seen)``, ``NOOP`` and ``LOGOUT``. Anything else is ``BAD``. It keeps
every command it received, so a test can see what the client asked.

It runs an asyncio server in its own thread and event loop; :meth:`ImapServer.stop` closes it.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import threading
from dataclasses import dataclass, field


@dataclass
class StoredMail:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class ImapServer:
    def __init__(self, *, user: str = "replies@kmcs.example", password: str = "imap-secret"):
        self.user = user
        self.password = password
        self.mailbox: list[StoredMail] = []
        self.commands: list[str] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # --- the test's side ---------------------------------------------------------------------

    def deliver(self, raw: bytes) -> int:
        with self._lock:
            uid = (self.mailbox[-1].uid if self.mailbox else 100) + 1
            self.mailbox.append(StoredMail(uid, raw))
            return uid

    def seen(self) -> list[int]:
        with self._lock:
            return [m.uid for m in self.mailbox if "\\Seen" in m.flags]

    def start(self) -> ImapServer:
        ready = threading.Event()

        def run():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._session, "127.0.0.1", 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=run, name="test-imap", daemon=True)
        self._thread.start()
        if not ready.wait(5):
            raise RuntimeError("the test IMAP server did not start")
        return self

    def stop(self) -> None:
        """Close the listener and every open session inside the loop, then end the thread."""
        if self._loop is not None:
            done = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
            done.result(5)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    async def _shutdown(self) -> None:
        self._server.close()
        sessions = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in sessions:
            task.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)
        await self._server.wait_closed()

    # --- the protocol --------------------------------------------------------------------------

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        state = {"auth": False, "selected": False}

        def send(line: str | bytes) -> None:
            writer.write(line if isinstance(line, bytes) else line.encode("utf-8"))

        send("* OK [CAPABILITY IMAP4rev1] KMCS test IMAP ready\r\n")
        try:
            while True:
                line = await asyncio.wait_for(reader.readline(), timeout=10)
                if not line:
                    break
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                with self._lock:
                    self.commands.append(re.sub(r"(?i)^(\S+ LOGIN \S+) .*$", r"\1 ***", text))
                tag, _, rest = text.partition(" ")
                verb, _, args = rest.partition(" ")
                verb = verb.upper()
                if verb == "UID":
                    sub, _, args = args.partition(" ")
                    verb = f"UID {sub.upper()}"
                done = self._answer(tag, verb, args, state, send)
                await writer.drain()
                if done:
                    break
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    def _answer(self, tag, verb, args, state, send) -> bool:
        if verb == "CAPABILITY":
            send("* CAPABILITY IMAP4rev1\r\n")
            send(f"{tag} OK CAPABILITY completed\r\n")
        elif verb == "NOOP":
            send(f"{tag} OK NOOP completed\r\n")
        elif verb == "LOGOUT":
            send("* BYE logging out\r\n")
            send(f"{tag} OK LOGOUT completed\r\n")
            return True
        elif verb == "LOGIN":
            try:
                user, password = shlex.split(args)
            except ValueError:
                send(f"{tag} BAD LOGIN arguments\r\n")
                return False
            if (user, password) == (self.user, self.password):
                state["auth"] = True
                send(f"{tag} OK LOGIN completed\r\n")
            else:
                send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n")
        elif not state["auth"]:
            send(f"{tag} BAD log in first\r\n")
        elif verb in ("SELECT", "EXAMINE"):
            state["selected"] = True
            with self._lock:
                count = len(self.mailbox)
            send(f"* {count} EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen)\r\n")
            send(f"{tag} OK [READ-WRITE] SELECT completed\r\n")
        elif not state["selected"]:
            send(f"{tag} BAD select a mailbox first\r\n")
        elif verb == "UID SEARCH":
            if args.strip().upper() != "UNSEEN":
                send(f"{tag} BAD only UNSEEN is searched here\r\n")
                return False
            with self._lock:
                uids = [str(m.uid) for m in self.mailbox if "\\Seen" not in m.flags]
            send("* SEARCH" + "".join(f" {u}" for u in uids) + "\r\n")
            send(f"{tag} OK SEARCH completed\r\n")
        elif verb == "UID FETCH":
            uid, _, what = args.partition(" ")
            found = self._find(uid)
            if found is None or "BODY.PEEK[]" not in what.upper():
                send(f"{tag} OK FETCH completed\r\n")  # RFC 3501: a missing UID is no error
                return False
            seq, mail = found
            send(f"* {seq} FETCH (UID {mail.uid} BODY[] {{{len(mail.raw)}}}\r\n".encode())
            send(mail.raw)
            send(b")\r\n")
            send(f"{tag} OK FETCH completed\r\n")
        elif verb == "UID STORE":
            uid, _, change = args.partition(" ")
            found = self._find(uid)
            if found is not None and change.upper().startswith("+FLAGS"):
                seq, mail = found
                with self._lock:
                    mail.flags |= set(re.findall(r"\\\w+", change))
                    flags = " ".join(sorted(mail.flags))
                send(f"* {seq} FETCH (UID {mail.uid} FLAGS ({flags}))\r\n")
            send(f"{tag} OK STORE completed\r\n")
        else:
            send(f"{tag} BAD unknown command\r\n")
        return False

    def _find(self, uid: str) -> tuple[int, StoredMail] | None:
        with self._lock:
            for seq, mail in enumerate(self.mailbox, start=1):
                if str(mail.uid) == uid.strip():
                    return seq, mail
        return None
