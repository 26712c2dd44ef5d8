#!/usr/bin/env python3
"""Writes the small JPEG and PNG files the decoder tests compare (ours against cv::imdecode, byte for byte).

Run from this folder with Debian's Python and Pillow (apt-get install python3-pil):

    /usr/bin/python3 make-codec-fixtures.py

PNGs are written by hand below (every colour type and bit depth, tRNS, Adam7 interlacing, eXIf, broken chunks);
JPEGs by Pillow (libjpeg-turbo), then edited where a test needs a damaged file. The output is deterministic for a
given Pillow/libjpeg; the committed files are the reference, this script says how they were made.
"""
import io
import random
import struct
import zlib

from PIL import Image

W, H = 37, 23  # odd sizes: partial MCUs, odd reductions


def pattern(width, height, seed):
    """RGB pixels: gradients plus noise, so every channel and every position matters."""
    rng = random.Random(seed)
    rows = []
    for y in range(height):
        row = []
        for x in range(width):
            row.append(((x * 255) // max(1, width - 1) ^ rng.randrange(40),
                        (y * 255) // max(1, height - 1) ^ rng.randrange(40),
                        ((x + y) * 7 + rng.randrange(64)) & 255))
        rows.append(row)
    return rows


def chunk(kind, data, crc=None):
    body = kind + data
    value = zlib.crc32(body) & 0xFFFFFFFF if crc is None else crc
    return struct.pack(">I", len(data)) + body + struct.pack(">I", value)


def pack_row(samples, bit_depth):
    """Samples (ints) of one row at bit_depth: MSB first below 8 bits, big-endian at 16."""
    if bit_depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if bit_depth == 8:
        return bytes(samples)
    out, acc, bits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << bit_depth) | s
        bits += bit_depth
        if bits == 8:
            out.append(acc)
            acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png(pixels, color_type, bit_depth, interlace=False, extra_before_idat=(), extra_after_idat=(), plte=None):
    """pixels: rows of tuples of samples (channels per colour type). Filter type varies by row (0-4)."""
    height, width = len(pixels), len(pixels[0])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    bpp = max(1, channels * bit_depth // 8)

    def filtered(rows):
        raw = bytearray()
        previous = None
        for index, row in enumerate(rows):
            line = pack_row([s for px in row for s in px], bit_depth)
            kind = index % 5
            prior = previous if previous is not None else bytes(len(line))
            out = bytearray()
            for i, value in enumerate(line):
                a = line[i - bpp] if i >= bpp else 0
                b = prior[i]
                c = prior[i - bpp] if i >= bpp else 0
                if kind == 0:
                    predictor = 0
                elif kind == 1:
                    predictor = a
                elif kind == 2:
                    predictor = b
                elif kind == 3:
                    predictor = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                out.append((value - predictor) & 255)
            raw += bytes([kind]) + out
            previous = line
        return bytes(raw)

    if interlace:
        data = b""
        for x0, y0, dx, dy in ADAM7:
            sub = [pixels[y][x0::dx] for y in range(y0, height, dy)]
            if sub and sub[0]:
                data += filtered(sub)
    else:
        data = filtered(pixels)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if plte is not None:
        out += chunk(b"PLTE", plte)
    for c in extra_before_idat:
        out += c
    out += chunk(b"IDAT", zlib.compress(data, 9))
    for c in extra_after_idat:
        out += c
    return out + chunk(b"IEND", b"")


def exif_block(orientation, byte_order):
    """A TIFF header with IFD0 holding Make (a string stored elsewhere) and Orientation."""
    e = "<" if byte_order == "II" else ">"
    make = b"datasetkit\0"
    entries = [(0x010F, 2, len(make), 8 + 2 + 2 * 12 + 4), (0x0112, 3, 1, orientation)]
    ifd = struct.pack(e + "H", len(entries))
    for tag, kind, count, value in entries:
        if kind == 3:
            ifd += struct.pack(e + "HHIHH", tag, kind, count, value, 0)
        else:
            ifd += struct.pack(e + "HHII", tag, kind, count, value)
    ifd += struct.pack(e + "I", 0)
    return byte_order.encode() + struct.pack(e + "HI", 42, 8) + ifd + make


def write(name, data):
    with open(name, "wb") as f:
        f.write(data)


def main():
    rgb = pattern(W, H, 1)
    gray8 = [[((r * 299 + g * 587 + b * 114) // 1000,) for r, g, b in row] for row in rgb]

    # PNG: grayscale at every depth, gray+alpha, palette with and without tRNS, RGB(A) 8/16, interlaced.
    for depth in (1, 2, 4, 8, 16):
        top = (1 << depth) - 1
        pixels = [[(v * top // 255,) for (v,) in row] for row in gray8]
        write(f"png-gray{depth}.png", png(pixels, 0, depth))
        write(f"png-gray{depth}-interlaced.png", png(pixels, 0, depth, interlace=True))
    write("png-gray8-trns.png", png(gray8, 0, 8, extra_before_idat=[chunk(b"tRNS", struct.pack(">H", 128))]))
    ga = [[(v, (x * 11) & 255) for x, (v,) in enumerate(row)] for row in gray8]
    write("png-gray-alpha8.png", png(ga, 4, 8))
    write("png-gray-alpha16.png", png([[(v * 257, (a * 257) ^ 3) for v, a in row] for row in ga], 4, 16))
    rng = random.Random(7)
    for depth in (1, 2, 4, 8):
        colours = 1 << depth
        plte = bytes(rng.randrange(256) for _ in range(3 * colours))
        pixels = [[((x + 3 * y + rng.randrange(3)) % colours,) for x in range(W)] for y in range(H)]
        write(f"png-palette{depth}.png", png(pixels, 3, depth, plte=plte))
        trns = chunk(b"tRNS", bytes((i * 37) & 255 for i in range(min(colours, 5))))
        write(f"png-palette{depth}-trns.png", png(pixels, 3, depth, plte=plte, extra_before_idat=[trns]))
    write("png-palette4-interlaced.png", png(pixels_for_palette(4), 3, 4, interlace=True, plte=bytes(range(48))))
    write("png-rgb8.png", png(rgb, 2, 8))
    write("png-rgb8-interlaced.png", png(rgb, 2, 8, interlace=True))
    write("png-rgb8-trns.png", png(rgb, 2, 8, extra_before_idat=[chunk(b"tRNS", struct.pack(">HHH", *rgb[0][0]))]))
    write("png-rgb16.png", png([[tuple((v * 257) ^ (x * 3) for v in px) for x, px in enumerate(row)] for row in rgb], 2, 16))
    rgba = [[px + ((x * 7 + y * 13) & 255,) for x, px in enumerate(row)] for y, row in enumerate(rgb)]
    write("png-rgba8.png", png(rgba, 6, 8))
    write("png-rgba16-interlaced.png", png([[tuple(v * 257 for v in px) for px in row] for row in rgba], 6, 16,
                                           interlace=True))
    write("png-exif-orientation6.png", png(rgb, 2, 8, extra_before_idat=[chunk(b"eXIf", exif_block(6, "MM"))]))
    # Warnings: an iCCP chunk whose profile is not one (libpng warns and ignores it); a damaged ancillary chunk.
    bad_iccp = chunk(b"iCCP", b"sRGB\0\0" + zlib.compress(b"\0\0\x0b\x48" + bytes(140)))
    write("png-warning-iccp.png", png(rgb, 2, 8, extra_before_idat=[bad_iccp]))
    write("png-warning-text-crc.png", png(rgb, 2, 8, extra_before_idat=[chunk(b"tEXt", b"Comment\0hi", crc=1)]))
    # Broken: a critical chunk's CRC is wrong.
    good = png(rgb, 2, 8)
    at = good.index(b"IDAT") + 4
    length = struct.unpack(">I", good[at - 8:at - 4])[0]
    write("png-broken-crc.png", good[:at + length] + bytes(b ^ 0xFF for b in good[at + length:at + length + 4])
          + good[at + length + 4:])

    # JPEG: subsampling 4:2:0 / 4:2:2 / 4:4:4, progressive, grayscale, CMYK (Adobe), EXIF orientations 1-8, odd size.
    image = Image.new("RGB", (W, H))
    image.putdata([px for row in rgb for px in row])
    big = image.resize((W * 2 + 3, H * 2 + 1), Image.BICUBIC)  # 77x47: several MCUs, reductions 2/4/8
    for name, subsampling in (("420", 2), ("422", 1), ("444", 0)):
        big.save(f"jpeg-{name}.jpg", quality=90, subsampling=subsampling)
    big.save("jpeg-progressive.jpg", quality=85, progressive=True)
    big.convert("L").save("jpeg-gray.jpg", quality=90)
    big.convert("CMYK").save("jpeg-cmyk.jpg", quality=90)
    image.save("jpeg-small-odd.jpg", quality=95)
    for orientation in range(1, 9):
        order = "II" if orientation % 2 else "MM"
        image.save(f"jpeg-exif-orientation{orientation}.jpg", quality=80,
                 exif=b"Exif\0\0" + exif_block(orientation, order))
    # Warnings: stray bytes between the end of the scan and the EOI marker (libjpeg: "Corrupt JPEG data: N
    # extraneous bytes before marker 0xd9"; stray bytes between header segments are refused by datasetkit's own
    # header check before any decoder runs); a file cut in the middle of its scan (no EOI).
    clean = io.BytesIO()
    big.save(clean, format="JPEG", quality=90)
    data = clean.getvalue()
    write("jpeg-warning-extraneous.jpg", data[:-2] + bytes(40) + data[-2:])
    sos = data.index(b"\xff\xda")
    write("jpeg-warning-truncated.jpg", data[:sos + (len(data) - sos) // 2])


def pixels_for_palette(depth):
    colours = 1 << depth
    return [[((x * 5 + y) % colours,) for x in range(W)] for y in range(H)]


if __name__ == "__main__":
    main()
