# Writes every test photo with Pillow and, for each, Pillow's own decode (upright, RGB 8-bit) as
# the golden pixels in golden.json. Called by regenerate.sh.
import base64, json, os, sys
from PIL import Image, ImageOps

out = sys.argv[1]
os.chdir(out)

# 64x32, four solid quadrants (red, green / blue, white) plus a diagonal gradient strip so that
# resampling and colour conversion are exercised, not only flat areas.
img = Image.new("RGB", (64, 32))
px = img.load()
for y in range(32):
    for x in range(64):
        if y < 16:
            px[x, y] = (255, 0, 0) if x < 32 else (0, 255, 0)
        else:
            px[x, y] = (0, 0, 255) if x < 32 else (255, 255, 255)
        if 14 <= y <= 17:
            px[x, y] = (x * 4, y * 8, 255 - x * 4)

files = {}
def save(name, image, **kw):
    image.save(name, **kw)
    files[name] = None

save("rgb8.png", img)
save("gray16.png", img.convert("L").point(lambda v: v * 257, "I").convert("I;16"))
save("palette.png", img.quantize(colors=16))
alpha = img.copy(); alpha.putalpha(128)
save("alpha.png", alpha)
save("first-frame.gif", img.quantize(colors=64), save_all=True,
     append_images=[Image.new("P", (64, 32), 3)], duration=100)
save("rgb.bmp", img)
save("baseline.jpg", img, quality=95, subsampling=0)
save("progressive.jpg", img, quality=95, subsampling=0, progressive=True)
save("cmyk.jpg", img.convert("CMYK"), quality=95)
save("lossless.webp", img, lossless=True)
save("lossy.webp", img, quality=95)
for orientation in range(1, 9):
    exif = Image.Exif()
    exif[0x0112] = orientation
    save(f"orientation-{orientation}.jpg", img, quality=95, subsampling=0, exif=exif.tobytes())

golden = {}
for name in sorted(files):
    with Image.open(name) as f:
        f.seek(0)
        if f.mode in ("I", "I;16"):
            # Pillow's convert() clips 16-bit values; scale to 8 bits as decoders do (v / 257).
            values = bytes(round(v / 257) for v in f.getdata() for _ in range(3))
            upright = Image.frombytes("RGB", f.size, values)
        else:
            upright = ImageOps.exif_transpose(f).convert("RGB")
        golden[name] = {
            "width": upright.width,
            "height": upright.height,
            "rgb": base64.b64encode(upright.tobytes()).decode(),
        }
golden["_reference"] = "Pillow " + Image.__version__ + " (Debian 12 python3-pil), ImageOps.exif_transpose + convert('RGB')"
with open("golden.json", "w") as g:
    json.dump(golden, g, indent=1, sort_keys=True)
