"""``manage.py kmcs_sandbox [--port 8025]``: run the fake provider server on loopback."""

import errno

from django.core.management.base import BaseCommand

from kmcs_site.sandbox.server import SandboxServer


class Command(BaseCommand):
    help = "개발용 공급자 샌드박스(SMS·은행·아지트·메일)를 127.0.0.1 에서 실행합니다."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8025)

    def handle(self, *args, host, port, **options):
        try:
            server = SandboxServer(host, port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            # A second ./bin/dev: the sandbox already listening there serves both; the dev
            # server goes on (its settings point at that URL).
            self.stderr.write(
                f"샌드박스 포트 {host}:{port} 이(가) 이미 사용 중입니다: 실행 중인 샌드박스를 "
                "그대로 사용합니다 (다른 포트는 KMCS_SANDBOX_PORT)."
            )
            return
        self.stdout.write(f"샌드박스: {server.url}/ (받은 요청 목록)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.httpd.server_close()
