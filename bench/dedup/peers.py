#!/usr/bin/env python3
"""Hash throughput of the Python peers over a folder of images, on WORKERS processes.

  peers.py imagehash DIR WORKERS    imagehash.phash(Image.open(f)) in a multiprocessing Pool
  peers.py imagededup DIR WORKERS   imagededup.methods.PHash().encode_images(DIR, num_enc_workers=WORKERS)
  peers.py pillow-decode DIR WORKERS  Image.open(f).load() only (the Pillow decode baseline)

imagededup's hashing path needs neither torch, matplotlib nor scikit-learn, but its package __init__ imports them
(for its CNN method and plots). They are stubbed here so the benchmark does not download ~2 GB of
CUDA wheels; the hashing code that runs is imagededup's own.
"""
import importlib.machinery, os, resource, sys, time, types
from multiprocessing import Pool


class Anything:
    """Stands in for any attribute, call or base class of a stubbed module."""
    def __init__(self, *args, **kwargs): pass
    def __call__(self, *args, **kwargs): return Anything()
    def __getattr__(self, name): return Anything()
    def __mro_entries__(self, bases): return (object,)


class Stubs:
    """An import hook answering every import under PREFIXES with an empty module."""
    PREFIXES = ("torch", "torchvision", "matplotlib", "sklearn")

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.PREFIXES:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = lambda attr: Anything()
        return module

    def exec_module(self, module):
        pass


def imagehash_one(path):
    import imagehash
    from PIL import Image
    with Image.open(path) as image:
        return str(imagehash.phash(image))


def decode_one(path):
    from PIL import Image
    with Image.open(path) as image:
        image.load()
    return 0


def main():
    peer, folder, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    files = sorted(os.path.join(folder, name) for name in os.listdir(folder))
    start = time.perf_counter()
    if peer in ("imagehash", "pillow-decode"):
        with Pool(workers) as pool:
            results = pool.map(imagehash_one if peer == "imagehash" else decode_one, files, chunksize=32)
    elif peer == "imagededup":
        sys.meta_path.insert(0, Stubs())
        import logging
        logging.disable(logging.WARNING)
        from imagededup.methods import PHash
        results = PHash(verbose=False).encode_images(image_dir=folder, num_enc_workers=workers)
    else:
        sys.exit("unknown peer " + peer)
    elapsed = time.perf_counter() - start
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print("%s (%d workers): %d images in %.2f s = %.0f images/s, peak RSS %.0f MB"
          % (peer, workers, len(results), elapsed, len(results) / elapsed, rss / 1024))


if __name__ == "__main__":
    main()
