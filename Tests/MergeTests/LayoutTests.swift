import Catalog
import Foundation
import Ingest
import TestSupport
import Testing

@testable import Merge

@Suite("Label layouts: csv, CelebA attributes, YOLO, file-name patterns, folders — from real-looking trees")
struct LayoutTests {
  func workspace() throws -> (Catalog, String) {
    let base = try TestSupport.temporaryFolder("layout")
    return (try Workspace.create(at: base + "/ws"), base)
  }

  func labelsByPath(_ catalog: Catalog) throws -> [String: String] {
    Dictionary(
      uniqueKeysWithValues: try catalog.database.rows(
        """
        SELECT o.rel_path, COALESCE((SELECT c.name FROM image_labels l JOIN classes c ON c.id = l.class_id
          WHERE l.image_id = o.image_id AND l.source_id = o.source_id AND l.view = ''), '')
        FROM image_origins o
        """
      ) { ($0.text(0) ?? "", $0.text(1) ?? "") })
  }

  @Test(
    "filename,class CSV (prajnasb-style tree: misspelt folder, .JPG/.jpeg/.webp/.jpg_1088Wx1632H, spaces, non-ASCII, palette PNG)"
  )
  func csvTable() throws {
    let (catalog, base) = try workspace()
    let jpegs = try TestSupport.distinctJPEGs(count: 4)
    let odd = "0_0_≈˙◊¢ 2020-02-23 132115.png"
    try Fixtures.tree(
      base + "/observations",
      [
        ("experiements/data/with_mask/1-with-mask.jpg", jpegs[0]),
        ("experiements/data/with_mask/2-with-mask.JPG", jpegs[1]),
        ("experiements/data/with_mask/\(odd)", Fixtures.palettePNG(seed: 1)),
        ("experiements/data/without_mask/3.jpeg", jpegs[2]),
        ("experiements/data/without_mask/4.jpg_1088Wx1632H", jpegs[3]),
        ("experiements/data/without_mask/5.webp", Fixtures.webp(seed: 5)),
        (
          "experiements/train.csv",
          Array(
            "filename,class\n1-with-mask.jpg,with_mask\n2-with-mask.JPG,with_mask\n\"\(odd)\",with_mask\r\n3.jpeg,without_mask\n4.jpg_1088Wx1632H,without_mask\n5.webp,without_mask\nmissing.jpg,with_mask\n"
              .utf8)
        ),
      ])
    var request = LayoutImport.Request(path: base + "/observations")
    request.license = "unknown"
    let result = try LayoutImport.run(request, catalog: catalog)
    #expect(result.layout.layout == "csv" && result.layout.guessed)
    #expect(result.layout.labelFile == "experiements/train.csv")
    #expect(result.layout.rowsWithoutImage == ["missing.jpg"])
    #expect(result.images.added == 6)
    #expect(result.images.labels == ["with_mask": 3, "without_mask": 3])
    #expect(result.images.notImages.isEmpty)
    let labels = try labelsByPath(catalog)
    #expect(labels["experiements/data/with_mask/\(odd)"] == "with_mask")
    #expect(labels["experiements/data/without_mask/4.jpg_1088Wx1632H"] == "without_mask")
    let extensions = try catalog.database.rows("SELECT extension FROM images ORDER BY extension") { $0.text(0) ?? "" }
    #expect(extensions == ["jpeg", "jpg", "jpg", "jpg", "png", "webp"])
    let kinds = try catalog.database.rows("SELECT kind FROM sources") { $0.text(0) ?? "" }
    #expect(kinds == ["csv"])
    // Again: nothing new.
    let again = try LayoutImport.run(request, catalog: catalog)
    #expect(again.images.added == 0 && again.images.unchanged == 6)
  }

  @Test("CelebA attribute table, CSV and the original whitespace text: column + value → label")
  func celebAAttributes() throws {
    let (catalog, base) = try workspace()
    let jpegs = try TestSupport.distinctJPEGs(count: 4)
    let csv = """
      image_id,5_o_Clock_Shadow,Arched_Eyebrows,Eyeglasses,Young
      000001.jpg,-1,1,-1,1
      000002.jpg,-1,-1,1,1
      000003.jpg,1,-1,-1,-1
      000004.jpg,-1,-1,1,1

      """
    try Fixtures.tree(
      base + "/celeba",
      (1...4).map { ("img_align_celeba/img_align_celeba/00000\($0).jpg", jpegs[$0 - 1]) }
        + [("list_attr_celeba.csv", Array(csv.utf8))])
    var request = LayoutImport.Request(path: base + "/celeba")
    request.layout = .csv
    request.table = LabelTableOptions(column: "Eyeglasses", values: ["-1": "without_mask"])
    let result = try LayoutImport.run(request, catalog: catalog)
    #expect(result.images.labels == ["without_mask": 2])
    #expect(result.layout.unlabeled == 2)

    // The Google Drive text format: a count line, names without the image column, runs of spaces.
    let (catalog2, base2) = try workspace()
    let text =
      "4\n5_o_Clock_Shadow Arched_Eyebrows Eyeglasses Young\n000001.jpg -1  1 -1  1\n000002.jpg -1 -1  1  1\n000003.jpg  1 -1 -1 -1\n000004.jpg -1 -1  1  1\n"
    try Fixtures.tree(
      base2 + "/celeba",
      (1...4).map { ("img_align_celeba/00000\($0).jpg", jpegs[$0 - 1]) } + [("list_attr_celeba.txt", Array(text.utf8))])
    var request2 = LayoutImport.Request(path: base2 + "/celeba")
    request2.table = LabelTableOptions(column: "Eyeglasses", values: ["1": "glasses", "-1": "without_mask"])
    let result2 = try LayoutImport.run(request2, catalog: catalog2)
    #expect(result2.layout.layout == "csv")
    #expect(result2.images.labels == ["glasses": 2, "without_mask": 2])

    // An unknown column names the columns there are.
    request2.table.column = "Mask"
    #expect(throws: MergeError.self) { try LayoutImport.run(request2, catalog: catalog2) }
  }

  @Test("YOLO txt + classes.txt: majority class per image; bad lines reported; auto guesses yolo")
  func yolo() throws {
    let (catalog, base) = try workspace()
    let jpegs = try TestSupport.distinctJPEGs(count: 3)
    try Fixtures.tree(
      base + "/yolo",
      [
        ("classes.txt", Array("with_mask\nwithout_mask\nmask_weared_incorrect\n".utf8)),
        ("images/a.jpg", jpegs[0]),
        ("labels/a.txt", Array("0 0.5 0.5 0.2 0.2\n1 0.2 0.2 0.1 0.1\n1 0.7 0.7 0.1 0.1\n".utf8)),
        ("images/b.jpg", jpegs[1]),
        ("labels/b.txt", Array("2 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.1 0.1\n0 1.5 0.5 0.1 0.1\n".utf8)),
        ("images/c.jpg", jpegs[2]),
      ])
    let result = try LayoutImport.run(LayoutImport.Request(path: base + "/yolo"), catalog: catalog)
    #expect(result.layout.layout == "yolo" && result.layout.guessed)
    #expect(result.images.labels == ["without_mask": 1, "mask_weared_incorrect": 1])
    #expect(result.layout.problems.map(\.path) == ["labels/b.txt:2", "labels/b.txt:3"])
    #expect(result.layout.unlabeled == 1)
    #expect(result.images.filesSeen == 3)
  }

  @Test("MaskedFace-Net file names → labels by regular expression")
  func pattern() throws {
    let (catalog, base) = try workspace()
    let jpegs = try TestSupport.distinctJPEGs(count: 5)
    try Fixtures.tree(
      base + "/mfn",
      [
        ("cmfd/00000/00000_Mask.jpg", jpegs[0]), ("imfd/00000/00001_Mask_Mouth_Chin.jpg", jpegs[1]),
        ("imfd/00000/00002_Mask_Chin.jpg", jpegs[2]), ("imfd/00000/00003_Mask_Nose_Mouth.jpg", jpegs[3]),
        ("README.md.jpg", jpegs[4]),
      ])
    var request = LayoutImport.Request(path: base + "/mfn")
    request.patterns = [
      "_Mask_Chin\\.jpg$=mask_weared_incorrect", "_Mask_Mouth_Chin\\.jpg$=mask_weared_incorrect",
      "_Mask_Nose_Mouth\\.jpg$=mask_weared_incorrect", "_Mask\\.jpg$=with_mask",
    ].compactMap(PatternRule.parse)
    let result = try LayoutImport.run(request, catalog: catalog)
    #expect(result.layout.layout == "pattern" && result.layout.guessed)
    #expect(result.images.labels == ["with_mask": 1, "mask_weared_incorrect": 3])
    #expect(result.layout.unlabeled == 1)
    request.patterns = [PatternRule(regex: "([", label: "x")]
    #expect(throws: MergeError.self) { try LayoutImport.run(request, catalog: catalog) }
  }

  @Test("a zipped tree uses the same layouts: folders guessed, and a CSV inside the zip")
  func layoutsInsideZip() throws {
    let (catalog, base) = try workspace()
    let jpegs = try TestSupport.distinctJPEGs(count: 4)
    try Fixtures.tree(
      base + "/ds",
      [
        ("Face Mask Dataset/Train/WithMask/10.png", Fixtures.palettePNG(seed: 10)),
        ("Face Mask Dataset/Train/WithoutMask/11.png", Fixtures.palettePNG(seed: 11)),
        ("Face Mask Dataset/Test/WithMask/12.jpg", jpegs[0]),
      ])
    try Fixtures.zip(folder: base + "/ds", to: base + "/ds.zip")
    let result = try LayoutImport.run(LayoutImport.Request(path: base + "/ds.zip"), catalog: catalog)
    #expect(result.layout.layout == "folders" && result.archive?.files == 3)
    #expect(result.images.labels == ["WithMask": 2, "WithoutMask": 1])

    try Fixtures.tree(
      base + "/tab",
      [("a.jpg", jpegs[1]), ("b.jpg", jpegs[2]), ("labels.csv", Array("file,label\na.jpg,mask\nb.jpg,no_mask\n".utf8))])
    try Fixtures.zip(folder: base + "/tab", to: base + "/tab.zip")
    let table = try LayoutImport.run(LayoutImport.Request(path: base + "/tab.zip"), catalog: catalog)
    #expect(table.layout.layout == "csv")
    #expect(table.images.labels == ["mask": 1, "no_mask": 1])
    #expect(table.images.filesSeen == 2)
  }
}
