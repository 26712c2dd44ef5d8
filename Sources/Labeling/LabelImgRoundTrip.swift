import Annotations
import Catalog
import Foundation

/// Which boxes `review labelimg-export` writes.
public struct LabelImgExportOptions: Sendable {
  /// Box status: proposed, accepted (nil: both). Rejected boxes are never exported.
  public var status: BoxStatus? = .proposed
  /// Only boxes from this origin (a detector name, `voc`, `review`).
  public var origin: String?
  /// Only boxes of this class.
  public var label: String?
  /// Every proposed or accepted box of the chosen images, not only the chosen boxes.
  public var allBoxes = false
  /// The `<name>` of boxes without a class (LabelImg needs one); read back as "no class".
  public var unlabeled = "face"
  /// Also the images a detector searched (of `origin`, when given) where no chosen box is, with an empty
  /// annotation: the missed faces can then be drawn in LabelImg.
  public var includeEmpty = false
  public init() {}
}

/// The file `review labelimg-export` leaves beside the images, so an import knows which catalog image and
/// boxes each file stands for (LabelImg keeps no unknown elements, so ids cannot live in the XML files).
public struct LabelImgManifest: Sendable, Codable, Hashable {
  public static let fileName = ".datasetkit-labelimg.json"

  public struct Entry: Sendable, Codable, Hashable {
    /// The image's file name in the folder; its annotation is the same name with `.xml`.
    public var file: String
    public var imageID: Int64
    public var width: Int
    public var height: Int
    /// The boxes exported on it.
    public var boxes: [Int64]
  }

  public var schemaVersion = 1
  /// Marks this export's decisions in the review log (`reviewer` … `labelimg:TOKEN`).
  public var token: String
  public var unlabeled: String
  public var images: [Entry]
}

/// What an export wrote.
public struct LabelImgExportReport: Sendable, Codable {
  public var folder: String
  public var images: Int
  public var boxes: Int
  public var failed: [FaceImageIssue]
}

/// What an import changed, per annotation file.
public struct LabelImgFileResult: Sendable, Codable, Hashable {
  public var file: String
  public var imageID: Int64?
  public var unchanged = 0
  public var adjusted: [Int64] = []
  public var rejected: [Int64] = []
  public var added: [Int64] = []
  public var relabelled: [Int64] = []
  /// Why the file was left out (nothing of it applied); nil when it was read.
  public var error: String?
  /// LabelImg's `verified` when this import changed it (the file was verified, or no longer is).
  public var verified: Bool?
}

/// What `review labelimg-import` did.
public struct LabelImgImportReport: Sendable, Codable {
  public var folder: String
  public var files: [LabelImgFileResult]
  public var unchanged: Int
  public var adjusted: Int
  public var rejected: Int
  public var added: Int
  public var relabelled: Int
  public var failed: Int
}

extension Catalog {
  /// Writes the chosen boxes as LabelImg VOC files beside copies of their images in `folder` (new or
  /// empty), plus the manifest an import needs. Coordinates are LabelImg's integers (truncated, mins ≥ 1).
  public func exportLabelImg(_ options: LabelImgExportOptions, folder: String) throws -> LabelImgExportReport {
    let fm = FileManager.default
    if fm.fileExists(atPath: folder) {
      let present = (try? fm.contentsOfDirectory(atPath: folder)) ?? []
      guard present.isEmpty else {
        throw LabelingError.labelImgFolder(folder, "is not empty; export into a new folder")
      }
    } else {
      do {
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
      } catch {
        throw LabelingError.labelImgFolder(folder, "cannot be created (\(error.localizedDescription))")
      }
    }
    let absolute = URL(fileURLWithPath: folder).standardizedFileURL.path
    let boxStore = BoxStore(catalog: self)
    var chosen = try boxStore.openBoxIDsByImage(
      BoxFilter(status: options.status, origin: options.origin, label: options.label))
    if options.includeEmpty {
      for id in try boxStore.imagesSearched(byDetector: options.origin) where chosen[id] == nil { chosen[id] = [] }
    }

    var manifest = LabelImgManifest(
      token: String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12)).lowercased(),
      unlabeled: options.unlabeled, images: [])
    var report = LabelImgExportReport(folder: absolute, images: 0, boxes: 0, failed: [])
    for imageID in chosen.keys.sorted() {
      guard let image = try imageFile(id: imageID) else { continue }
      let ids: [Int64] = options.allBoxes ? try boxStore.openBoxIDs(onImage: imageID) : chosen[imageID] ?? []
      let stem = Self.labelImgStem(imageID: imageID, original: image.firstPath)
      let file = stem + "." + (image.fileExtension.isEmpty ? "jpg" : image.fileExtension)
      do {
        let bytes = try store.read(image.sha256)
        guard fm.createFile(atPath: absolute + "/" + file, contents: Data(bytes)) else {
          throw LabelingError.labelImgFolder(absolute + "/" + file, "cannot be written")
        }
        var objects: [VOCObject] = []
        for state in try labelImgBoxes(ids) {
          objects.append(
            VOCObject(
              name: state.label ?? options.unlabeled,
              box: state.rect.labelImgIntegers(width: image.width, height: image.height)))
        }
        let document = VOCDocument.labelImg(
          folder: (absolute as NSString).lastPathComponent, filename: file, path: absolute + "/" + file,
          width: image.width, height: image.height, objects: objects,
          verified: try boxStore.isVerified(imageID: imageID))
        guard fm.createFile(atPath: absolute + "/" + stem + ".xml", contents: Data(document.bytes())) else {
          throw LabelingError.labelImgFolder(absolute + "/" + stem + ".xml", "cannot be written")
        }
        manifest.images.append(
          LabelImgManifest.Entry(file: file, imageID: imageID, width: image.width, height: image.height, boxes: ids))
        report.images += 1
        report.boxes += ids.count
      } catch {
        report.failed.append(
          FaceImageIssue(
            imageID: imageID, sha256: image.sha256,
            reason: (error as? LocalizedError)?.errorDescription ?? String(describing: error)))
      }
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    guard
      fm.createFile(
        atPath: absolute + "/" + LabelImgManifest.fileName, contents: try encoder.encode(manifest))
    else { throw LabelingError.labelImgFolder(absolute, "cannot hold the manifest \(LabelImgManifest.fileName)") }
    return report
  }

  /// Reads back a folder written by `exportLabelImg` after LabelImg edited it, and turns the differences
  /// into review decisions (reviewer `reviewer labelimg:TOKEN`): a moved box is an `adjust`, a deleted one a
  /// `reject`, a new one a missed face (`add`), a changed `<name>` a `relabel`; unchanged boxes are left as
  /// they are. The files are compared with the catalog as it is now, so importing a folder again changes
  /// nothing. A file that cannot be used (malformed, an image this export did not write, a box outside
  /// the image, a `<name>` that is not a class `classes` allows) is reported with the reason and left out
  /// whole; the others go on.
  public func importLabelImg(
    folder: String, reviewer: String, classes: ClassPolicy = ClassPolicy()
  ) throws -> LabelImgImportReport {
    let absolute = URL(fileURLWithPath: folder).standardizedFileURL.path
    let manifestPath = absolute + "/" + LabelImgManifest.fileName
    guard let data = FileManager.default.contents(atPath: manifestPath) else {
      throw LabelingError.labelImgFolder(
        absolute,
        "has no \(LabelImgManifest.fileName): only folders written by `review labelimg-export` can be imported")
    }
    let manifest: LabelImgManifest
    do {
      manifest = try JSONDecoder().decode(LabelImgManifest.self, from: data)
    } catch {
      throw LabelingError.labelImgFolder(manifestPath, "is not a manifest this version can read (\(error))")
    }
    var entries: [String: LabelImgManifest.Entry] = [:]
    for entry in manifest.images { entries[((entry.file as NSString).deletingPathExtension)] = entry }
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: absolute)) ?? [])
      .filter { $0.lowercased().hasSuffix(".xml") }.sorted()
    let who = "\(reviewer) labelimg:\(manifest.token)"
    let vocabulary = try classVocabulary(classes)
    let policy = ClassPolicy(view: classes.view, allowNew: true)  // checked here, file by file
    let boxStore = BoxStore(catalog: self)
    var report = LabelImgImportReport(
      folder: absolute, files: [], unchanged: 0, adjusted: 0, rejected: 0, added: 0, relabelled: 0, failed: 0)
    for name in names {
      var result = LabelImgFileResult(file: name)
      do {
        let document = try Self.readLabelImgFile(absolute + "/" + name)
        guard let entry = entries[String(name.dropLast(4))] else {
          throw LabelingError.labelImgFile(
            name, "names an image this export did not write (the manifest lists \(manifest.images.count) images)")
        }
        result.imageID = entry.imageID
        try applyLabelImgFile(
          name, document: document, entry: entry, manifest: manifest, reviewer: who, vocabulary: vocabulary,
          policy: policy, into: &result)
        // LabelImg's "Verify Image": kept for the VOC and LabelImg exports to write back.
        if try boxStore.isVerified(imageID: entry.imageID) != document.verified {
          try boxStore.setVerified(document.verified, imageID: entry.imageID, by: who, at: Timestamp.now())
          result.verified = document.verified
        }
      } catch {
        result.error = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
      }
      report.unchanged += result.unchanged
      report.adjusted += result.adjusted.count
      report.rejected += result.rejected.count
      report.added += result.added.count
      report.relabelled += result.relabelled.count
      if result.error != nil { report.failed += 1 }
      report.files.append(result)
    }
    return report
  }

  static func readLabelImgFile(_ path: String) throws -> VOCDocument {
    let name = (path as NSString).lastPathComponent
    let read = VOCReader.read(path: path, display: name)
    guard let document = read.document else {
      let problems = read.errors.map { f in f.line.map { "line \($0): \(f.message)" } ?? f.message }
      throw LabelingError.labelImgFile(name, problems.joined(separator: "; "))
    }
    return document
  }

  /// One file: checked whole first, then its decisions applied.
  private func applyLabelImgFile(
    _ name: String, document: VOCDocument, entry: LabelImgManifest.Entry, manifest: LabelImgManifest,
    reviewer: String, vocabulary: ClassVocabulary?, policy: ClassPolicy, into result: inout LabelImgFileResult
  ) throws {
    if let filename = document.filename, filename != entry.file {
      throw LabelingError.labelImgFile(name, "<filename> is \(filename), but this export wrote it for \(entry.file)")
    }
    guard try imageFacts(id: entry.imageID) != nil else {
      throw LabelingError.noSuchImage(entry.imageID)
    }
    let (width, height) = (Double(entry.width), Double(entry.height))
    var wanted: [(label: String, rect: Box)] = []
    for (n, object) in document.objects.enumerated() {
      let b = object.box.labeled(nil)
      let label = object.name.trimmingCharacters(in: .whitespaces)
      let at =
        "box \(n + 1) (\(object.name.isEmpty ? "no name" : object.name) \(Int(b.xmin)),\(Int(b.ymin))–\(Int(b.xmax)),\(Int(b.ymax)))"
      guard !label.isEmpty else { throw LabelingError.labelImgFile(name, "\(at) has no <name>") }
      if let vocabulary, label != manifest.unlabeled, !vocabulary.contains(label) {
        let refusal = AnnotationsError.unknownClass(
          label, suggestion: vocabulary.suggestion(for: label), known: vocabulary.classes, view: vocabulary.view)
        throw LabelingError.labelImgFile(name, "\(at): " + (refusal.errorDescription ?? label))
      }
      guard b.xmin >= 0, b.ymin >= 0, b.xmax <= width, b.ymax <= height, b.xmax - b.xmin >= 2, b.ymax - b.ymin >= 2
      else {
        throw LabelingError.labelImgFile(
          name, "\(at) is not inside the \(entry.width)×\(entry.height) image; fix it in LabelImg")
      }
      wanted.append((label, b))
    }

    // The boxes this export stands for on the image: the exported ones and those earlier imports added.
    var scope = entry.boxes
    scope += try ReviewLog(catalog: self).boxesAdded(
      byReviewerLike: "% labelimg:" + manifest.token, onImage: entry.imageID)
    let current = try labelImgBoxes(scope)
    var open = current.filter { $0.status != .rejected }
    var unmatched: [(label: String, rect: Box)] = []
    var pairs: [(box: ReviewableBox, label: String, rect: Box)] = []
    func same(_ r: Box, _ box: ReviewableBox) -> Bool {
      let exported = box.rect.labelImgIntegers(width: entry.width, height: entry.height)
      return r == exported || r == box.rect
    }
    // 1. Boxes where they were (maybe renamed).
    for w in wanted {
      if let i = open.firstIndex(where: { same(w.rect, $0) }) {
        pairs.append((open.remove(at: i), w.label, w.rect))
      } else {
        unmatched.append(w)
      }
    }
    // 2. Moved boxes: the remaining ones overlapping most (IoU ≥ 0.3), best pair first.
    var moved: [(box: ReviewableBox, label: String, rect: Box)] = []
    while true {
      var best: (Int, Int, Double)?
      for (i, w) in unmatched.enumerated() {
        for (j, box) in open.enumerated() {
          let v = w.rect.iou(box.rect)
          if v >= 0.3, v > (best?.2 ?? 0) { best = (i, j, v) }
        }
      }
      guard let (i, j, _) = best else { break }
      let w = unmatched.remove(at: i)
      moved.append((open.remove(at: j), w.label, w.rect))
    }
    // 3. A box rejected since the export (elsewhere) and still in the file as exported stays rejected.
    let rejected = current.filter { $0.status == .rejected }
    unmatched.removeAll { w in rejected.contains { same(w.rect, $0) } }

    func labelDiffers(_ box: ReviewableBox, _ label: String) -> Bool {
      box.label.map { $0 != label } ?? (label != manifest.unlabeled)
    }
    for pair in pairs {
      if labelDiffers(pair.box, pair.label) {
        _ = try review(.relabel(pair.label), boxes: [pair.box.id], reviewer: reviewer, classes: policy)
        result.relabelled.append(pair.box.id)
      } else {
        result.unchanged += 1
      }
    }
    for pair in moved {
      _ = try adjustBox(pair.box.id, to: pair.rect, reviewer: reviewer)
      result.adjusted.append(pair.box.id)
      if labelDiffers(pair.box, pair.label) {
        _ = try review(.relabel(pair.label), boxes: [pair.box.id], reviewer: reviewer, classes: policy)
        result.relabelled.append(pair.box.id)
      }
    }
    if !open.isEmpty {
      _ = try review(.reject, boxes: open.map(\.id), reviewer: reviewer)
      result.rejected = open.map(\.id).sorted()
    }
    for w in unmatched {
      let added = try addMissedFace(
        image: entry.imageID, rect: w.rect, label: w.label == manifest.unlabeled ? nil : w.label, reviewer: reviewer,
        classes: policy)
      result.added += added.boxes
    }
  }

  /// A file name stem for an exported image: its id and a tidy form of its first origin's name.
  static func labelImgStem(imageID: Int64, original: String?) -> String {
    let base = ((original ?? "") as NSString).lastPathComponent
    let stem = (base as NSString).deletingPathExtension
    let tidy = String(
      stem.unicodeScalars.map {
        CharacterSet.alphanumerics.contains($0) || "-_".unicodeScalars.contains($0) ? Character($0) : "_"
      }
      .prefix(60))
    return tidy.isEmpty ? "image-\(imageID)" : "\(imageID)-\(tidy)"
  }

  /// The boxes' current state, in the order of `ids`.
  private func labelImgBoxes(_ ids: [Int64]) throws -> [ReviewableBox] {
    let boxStore = BoxStore(catalog: self)
    return try ids.compactMap { try boxStore.reviewableBox($0) }
  }
}
