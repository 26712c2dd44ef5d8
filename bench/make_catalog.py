"""Fills a datasetkit workspace's catalog with N synthetic images (3 labels, skewed like the real 3-class
mask set) and duplicate clusters, for the split benchmark. Rows only: splitting reads no pixels."""
import hashlib, random, sqlite3, sys

path, n = sys.argv[1], int(sys.argv[2])
random.seed(1)
db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode=WAL")
db.execute("BEGIN")
db.execute("INSERT INTO sources (kind, name, uri, created_at) VALUES ('folder', 'bench', '/bench', 'now')")
labels = [("with_mask", 3232), ("without_mask", 717), ("mask_weared_incorrect", 123)]
total = sum(w for _, w in labels)
for name, _ in labels:
    db.execute("INSERT INTO classes (name) VALUES (?)", (name,))
def rows():
    for i in range(1, n + 1):
        yield (i, hashlib.sha256(str(i).encode()).hexdigest())
db.executemany("INSERT INTO images (id, sha256, size, width, height, format, extension, created_at) "
               "VALUES (?, ?, 40000, 400, 300, 'jpeg', 'jpg', 'now')", rows())
def origins():
    for i in range(1, n + 1):
        p = f"x/{i}.jpg"
        yield (i, p, p.encode())
db.executemany("INSERT INTO image_origins (image_id, source_id, rel_path, rel_path_bytes, retrieved_at) "
               "VALUES (?, 1, ?, ?, 'now')", origins())
# 10 % of the images in clusters of 2 to 5 consecutive ids; a cluster's members share their label
# (near-duplicates are copies of one picture).
cluster_of, members = {}, []
i, cid = 1, 0
while i <= n:
    if random.random() < 0.03:
        size = random.randint(2, 5)
        for j in range(i, min(n, i + size - 1) + 1):
            cluster_of[j] = cid
            members.append((j, cid))
        cid += 1
        i += size
    else:
        i += 1
def label_rows():
    label_of_cluster = {}
    for i in range(1, n + 1):
        r = random.random() * total
        c = 1 if r < 3232 else (2 if r < 3232 + 717 else 3)
        if i in cluster_of:
            c = label_of_cluster.setdefault(cluster_of[i], c)
        yield (i, c)
db.executemany("INSERT INTO image_labels (image_id, class_id, source_id, view, how, created_at) "
               "VALUES (?, ?, 1, '', 'folder', 'now')", label_rows())
db.executemany("INSERT INTO dup_clusters (image_id, cluster_id, method, radius) VALUES (?, ?, 'phash', 8)", members)
db.commit()
print(f"catalog: {n} images, {db.execute('SELECT COUNT(*) FROM dup_clusters').fetchone()[0]} in duplicate clusters")
