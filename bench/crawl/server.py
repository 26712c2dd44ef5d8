#!/usr/bin/env python3
"""Loopback image server for bench/crawl: N distinct ~50 KB JPEGs from memory, HTTP/1.1 keep-alive.

Image i is a real JPEG from opencv-doc with a COM segment holding i inserted after SOI, so every body is a
valid JPEG with its own SHA-256. Usage: server.py PORT COUNT JPEG...
"""
import asyncio
import sys

port, count, sources = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
bases = [open(p, "rb").read() for p in sources]


def image(i: int) -> bytes:
    base = bases[i % len(bases)]
    comment = f"datasetkit bench image {i}".encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return base[:2] + segment + base[2:]


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            target = head.split(b" ", 2)[1].decode()
            if target.startswith("/img/") and target.endswith(".jpg"):
                try:
                    i = int(target[5:-4])
                except ValueError:
                    i = -1
                if 0 <= i < count:
                    body = image(i)
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                    await writer.drain()
                    continue
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
