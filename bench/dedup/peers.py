#!/usr/bin/env python3
"""Hash throughput of the Python peers over a folder of images, on WORKERS processes.

  peers.py imagehash DIR WORKERS    imagehash.phash(Image.open(f)) in a multiprocessing Pool
  peers.py imagededup DIR WORKERS   imagededup.methods.PHash().encode_images(DIR, num_enc_workers=WORKERS)
  peers.py pillow-decode DIR WORKERS  Image.open(f).load() only (the Pillow decode baseline)
  peers.py imagededup-pairs DIR WORKERS OUT   PHash encode_images + find_duplicates (its defaults: max distance
                                              10), timed together; the pairs to OUT (a, b, duplicate)
  peers.py score TRUTH.tsv PAIRS NAME         precision and recall of a pair file against the truth of
                                              `dedup-bench truth` (one line per figure)
  peers.py table TRUTH.tsv OURS THEIRS OURS_RUNS THEIRS_RUNS   both side by side: median time and speed of the
                                              runs (seconds:images, comma-separated), their ratio, recall, precision

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


def cpu_seconds():
    """User + system CPU seconds of this process and its finished children (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


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


DUPLICATE_EDITS = ("original", "resize50", "jpeg40", "brighten10", "crop3")


def score(truth_path, pairs_path, name):
    """Recall of each edit against its original (with the expected relation when the pairs carry one: duplicate
    for resize/q40/brighten/crop, related for mirror/painted; any pair for a one-relation tool), and precision."""
    figs = figures(truth_path, pairs_path, name)
    cells = ["%s %d/%d (%.0f%%)" % (edit, hits, total, 100.0 * hits / total)
             for edit, (hits, total) in figs["recall"].items() if total]
    print("%s: recall %s" % (name, ", ".join(cells)))
    print("%s: %d pairs, precision %.1f%% (%d join different people or pictures); duplicate pairs %d, of which %d are "
          "the same picture (%.1f%%: a mirror or painted copy marked duplicate counts against)"
          % (name, figs["pairs"], 100.0 * (figs["pairs"] - figs["cross"]) / max(1, figs["pairs"]), figs["cross"],
             figs["marked"], figs["right"], 100.0 * figs["right"] / max(1, figs["marked"])))


def figures(truth_path, pairs_path, name):
    """The figures of `score` as a dict: recall per edit (hits, total), pairs, cross pairs, duplicate pairs and
    the duplicate pairs that are the same picture."""
    truth = {}
    with open(truth_path) as f:
        next(f)
        for line in f:
            file, group, edit = line.rstrip("\n").split("\t")
            truth[file] = (int(group), edit)
    found = {}
    with open(pairs_path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3 and parts[0] in truth and parts[1] in truth:
                found[frozenset(parts[:2])] = parts[2]
    originals = {group: file for file, (group, edit) in truth.items() if edit == "original"}
    recall = {}
    for edit in ("resize50", "jpeg40", "brighten10", "crop3", "mirror", "painted"):
        expected = "duplicate" if edit in DUPLICATE_EDITS else "related"
        hits = total = 0
        for file, (group, e) in truth.items():
            if e == edit:
                total += 1
                relation = found.get(frozenset((file, originals[group])))
                if relation is not None and (relation == expected or name == "imagededup"):
                    hits += 1
        recall[edit] = (hits, total)
    cross = sum(1 for pair in found if len({truth[f][0] for f in pair}) != 1)
    marked = [pair for pair, relation in found.items() if relation == "duplicate"]
    right = sum(1 for pair in marked if all(truth[f][1] in DUPLICATE_EDITS for f in pair)
                and len({truth[f][0] for f in pair}) == 1)
    return {"recall": recall, "pairs": len(found), "cross": cross, "marked": len(marked), "right": right}


def table(truth_path, ours_path, theirs_path, ours_runs, theirs_runs):
    """Side by side: median time and speed over the repetitions (each `seconds:images`, comma-separated), the
    speed ratio, recall per edit and precision of datasetkit and imagededup."""
    def parse(runs):
        values = [tuple(float(v) for v in run.split(":")) for run in runs.split(",") if run]
        return [v[0] for v in values], int(values[0][1]), [v[2] for v in values]
    ours_times, count, ours_cpu = parse(ours_runs)
    theirs_times, _, theirs_cpu = parse(theirs_runs)
    med = lambda values: sorted(values)[len(values) // 2] if len(values) % 2 else \
        sum(sorted(values)[len(values) // 2 - 1:len(values) // 2 + 1]) / 2
    ratios = [b / a for a, b in zip(ours_times, theirs_times)]
    ours = figures(truth_path, ours_path, "datasetkit")
    theirs = figures(truth_path, theirs_path, "imagededup")
    rows = [("", "datasetkit (hash + search + confirm)", "imagededup (PHash + find_duplicates)")]
    rows.append(("runs (time each, s)", " ".join("%.2f" % t for t in ours_times),
                 " ".join("%.2f" % t for t in theirs_times)))
    rows.append(("median time, %d files" % count, "%.2f s" % med(ours_times), "%.2f s" % med(theirs_times)))
    rows.append(("median speed", "%.0f images/s" % (count / med(ours_times)),
                 "%.0f images/s" % (count / med(theirs_times))))
    rows.append(("median CPU time (user + sys, all workers)", "%.2f s" % med(ours_cpu), "%.2f s" % med(theirs_cpu)))
    for edit in ("resize50", "jpeg40", "brighten10", "crop3", "mirror", "painted"):
        cells = []
        for figs, name in ((ours, "datasetkit"), (theirs, "imagededup")):
            hits, total = figs["recall"][edit]
            what = ("duplicate" if edit in DUPLICATE_EDITS else "related") if name == "datasetkit" else "any pair"
            cells.append("%d/%d (%.0f%%) %s" % (hits, total, 100.0 * hits / max(1, total), what))
        rows.append(("recall " + edit, cells[0], cells[1]))
    for label, key in (("pairs joining two people or pictures", "cross"),):
        rows.append((label, "%d of %d (precision %.1f%%)" % (ours[key], ours["pairs"],
                                                             100.0 * (ours["pairs"] - ours[key]) / max(1, ours["pairs"])),
                     "%d of %d (precision %.1f%%)" % (theirs[key], theirs["pairs"],
                                                      100.0 * (theirs["pairs"] - theirs[key]) / max(1, theirs["pairs"]))))
    rows.append(("duplicate pairs that are the same picture",
                 "%d of %d (%.1f%%)" % (ours["right"], ours["marked"], 100.0 * ours["right"] / max(1, ours["marked"])),
                 "%d of %d (%.1f%%)" % (theirs["right"], theirs["marked"],
                                        100.0 * theirs["right"] / max(1, theirs["marked"]))))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    print("speed ratio: %.1fx on the median times (per run: %s; median %.1fx); CPU time ratio %.1fx"
          % (med(theirs_times) / med(ours_times), " ".join("%.1fx" % r for r in ratios), med(ratios),
             med(theirs_cpu) / med(ours_cpu)))


def main():
    if sys.argv[1] == "score":
        return score(sys.argv[2], sys.argv[3], sys.argv[4])
    if sys.argv[1] == "table":
        return table(*sys.argv[2:7])
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
    elif peer == "imagededup-pairs":
        sys.meta_path.insert(0, Stubs())
        import logging
        logging.disable(logging.WARNING)
        from imagededup.methods import PHash
        hasher = PHash(verbose=False)
        cpu_start = cpu_seconds()
        encodings = hasher.encode_images(image_dir=folder, num_enc_workers=workers)
        duplicates = hasher.find_duplicates(encoding_map=encodings, num_dist_workers=workers)
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds() - cpu_start
        with open(sys.argv[4], "w") as out:
            seen = set()
            for a, others in sorted(duplicates.items()):
                for b in others:
                    if frozenset((a, b)) not in seen:
                        seen.add(frozenset((a, b)))
                        out.write("%s\t%s\tduplicate\n" % (a, b))
        results = encodings
        print("imagededup PHash encode + find_duplicates (%d workers): %d images in %.2f s = %.0f images/s: %d pairs; "
              "cpu %.2f s" % (workers, len(results), elapsed, len(results) / elapsed, len(seen), cpu))
        return
    else:
        sys.exit("unknown peer " + peer)
    elapsed = time.perf_counter() - start
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print("%s (%d workers): %d images in %.2f s = %.0f images/s, peak RSS %.0f MB"
          % (peer, workers, len(results), elapsed, len(results) / elapsed, rss / 1024))


if __name__ == "__main__":
    main()
