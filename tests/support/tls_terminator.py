"""TLS in front of a PLAINTEXT broker: takes TLS connections on a loopback port and forwards
their bytes to the broker, as a Kafka listener over SSL would carry them. The embedded broker
cannot do TLS itself (README, "Using an existing Kafka"); with this, rxsim's real clients do
the TLS side of a connection for real: the handshake, the CA and host-name checks, a client
certificate."""

import asyncio
import contextlib
import ssl
import threading

from tests.support.certificates import Certificates


class TlsTerminator:
    def __init__(self, port: int, broker: str, certs: Certificates, *, client_certs: bool) -> None:
        self.port, self.broker = port, broker
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(certs.server_cert, certs.server_key)
        if client_certs:  # mutual TLS: a client without a certificate of this CA is refused
            self.context.load_verify_locations(certs.ca)
            self.context.verify_mode = ssl.CERT_REQUIRED
        self.handshakes = 0  # connections whose TLS handshake succeeded
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> None:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(5)

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _listen(self) -> asyncio.Server:
        return await asyncio.start_server(self._forward, "127.0.0.1", self.port, ssl=self.context)

    async def _forward(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        self.handshakes += 1  # the server's streams exist only after the handshake
        host, port = self.broker.rsplit(":", 1)
        broker_in, broker_out = await asyncio.open_connection(host, int(port))
        await asyncio.gather(
            _pipe(client_in, broker_out), _pipe(broker_in, client_out), return_exceptions=True
        )


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    finally:
        with contextlib.suppress(Exception):
            sink.close()
