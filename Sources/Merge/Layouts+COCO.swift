import Annotations
import Catalog
import Foundation
import Ingest

/// The `coco` layout: COCO detection JSON (`images`, `annotations`, `categories`) beside the images.
enum COCOLabels {
  /// One image entry of a COCO file, resolved to a file of the dataset, with its annotations.
  struct Entry {
    /// `<json path>#<file_name>`: the entry's box set (`origin_file` of its boxes).
    var set: String
    var json: String
    var image: String
    var entry: COCOImageEntry
  }

  /// The COCO files of the dataset (the one `--label-file` names, else every JSON that looks like one), read
  /// and resolved; every other file is an image candidate (unlabelled: the label comes from the boxes).
  static func candidates(
    _ files: [FoundFile], relative: [String], request: LayoutImport.Request, report: inout LayoutReport
  ) throws -> ([IngestCandidate], [Entry]) {
    var jsonIndices: [Int]
    if let wanted = request.table.file {
      guard let found = relative.firstIndex(of: wanted) else {
        throw MergeError.layout(
          path: request.path, reason: "no COCO file \(wanted) inside; give its path relative to the dataset")
      }
      jsonIndices = [found]
    } else {
      jsonIndices = relative.indices.filter { COCOLayout.isAnnotationFile(relative[$0]) }
      if jsonIndices.isEmpty, request.layout == .coco {
        jsonIndices = relative.indices.filter { relative[$0].lowercased().hasSuffix(".json") }
      }
    }
    guard !jsonIndices.isEmpty else {
      throw MergeError.layout(
        path: request.path,
        reason: "layout coco: no COCO JSON found (instances_*.json or annotations/*.json); name it with --label-file")
    }
    report.labelFile = jsonIndices.map { relative[$0] }.joined(separator: ", ")
    let jsonSet = Set(jsonIndices)
    let others = files.indices.filter { !jsonSet.contains($0) && !relative[$0].lowercased().hasSuffix(".json") }
    let index = VOCLayout.FileIndex(paths: others.map { relative[$0] })
    var entries: [Entry] = []
    var warnings: [FileIssue] = []
    var annotationCount = 0
    for jsonIndex in jsonIndices {
      let json = relative[jsonIndex]
      let document: COCODocument
      do {
        document = try COCOReader.read(path: files[jsonIndex].path, size: files[jsonIndex].size, display: json)
      } catch {
        report.problems.append(FileIssue(path: json, reason: error.localizedDescription))
        continue
      }
      annotationCount += document.annotationCount
      report.problems += document.problems.map { FileIssue(path: json, reason: $0) }
      warnings += document.warnings.map { FileIssue(path: json, reason: $0) }
      var seenNames: [String: Int] = [:]
      for entry in document.images {
        if let earlier = seenNames[entry.fileName] {
          report.problems.append(
            FileIssue(
              path: json,
              reason:
                "images \(earlier) and \(entry.id) both name \"\(COCOReader.shown(entry.fileName))\"; the first is kept"
            ))
          continue
        }
        seenNames[entry.fileName] = entry.id
        switch COCOLayout.resolve(fileName: entry.fileName, jsonPath: json, index: index) {
        case .found(let image, _):
          entries.append(Entry(set: "\(json)#\(entry.fileName)", json: json, image: image, entry: entry))
        case .missing(let lookedFor, _):
          report.rowsWithoutImageCount += 1
          if report.rowsWithoutImage.count < 50 { report.rowsWithoutImage.append(lookedFor) }
        case .ambiguous(let lookedFor, let candidates):
          report.problems.append(
            FileIssue(
              path: json,
              reason:
                "image \(entry.id) \"\(lookedFor)\" matches \(candidates.count) files (\(candidates.prefix(3).joined(separator: ", "))); give its path in file_name"
            ))
        }
      }
    }
    report.warnings = warnings
    report.annotations = annotationCount
    let candidates = others.map { FolderImport.candidates([files[$0]], license: request.license)[0] }
      .map { candidate -> IngestCandidate in
        var candidate = candidate
        candidate.label = nil
        candidate.labelHow = "coco"
        return candidate
      }
    return (candidates, entries)
  }

  /// Stores each entry's annotations (provenance rows) and boxes (origin `coco`, accepted, `origin_file` =
  /// the entry's set), in pixels of the stated image size clamped to the imported image. An entry read
  /// again with the same annotations changes nothing; a changed one replaces its rows and boxes.
  static func record(_ entries: [Entry], sourceID: Int64, catalog: Catalog, report: inout LayoutReport) throws {
    let images = try catalog.imageIDsByOrigin(sourceID: sourceID)
    let store = BoxStore(catalog: catalog)
    var problems: [FileIssue] = []
    var start = 0
    while start < entries.count {
      let batch = entries[start..<min(entries.count, start + 512)]
      try catalog.database.writeTransaction {
        let now = Timestamp.now()
        for item in batch {
          let json = item.json
          guard let image = images[item.image] else {
            problems.append(
              FileIssue(path: json, reason: "its image \(item.image) was not imported (see the image report)"))
            continue
          }
          let sizeDiffers = (item.entry.width, item.entry.height) != (image.width, image.height)
          if sizeDiffers {
            report.warnings =
              (report.warnings ?? [])
              + [
                FileIssue(
                  path: json,
                  reason:
                    "image \(item.entry.id) says \(item.entry.width)×\(item.entry.height) but \(item.image) is \(image.width)×\(image.height); boxes clamped to the image"
                )
              ]
          }
          var rows: [COCORow] = []
          for annotation in item.entry.annotations {
            var box = annotation.box
            if let found = box, sizeDiffers {
              let clamped = COCOFile.clamp(found, width: image.width, height: image.height)
              if clamped.xmax > clamped.xmin, clamped.ymax > clamped.ymin {
                box = clamped
              } else {
                problems.append(
                  FileIssue(
                    path: json,
                    reason:
                      "annotation \(annotation.id): the box has no area inside the \(image.width)×\(image.height) image \(item.image); kept as provenance, not as a box"
                  ))
                box = nil
              }
            }
            rows.append(
              COCORow(
                annotationID: annotation.id, cocoImageID: item.entry.id, category: annotation.className,
                bbox: "[" + annotation.bbox.map { COCOReader.show($0) }.joined(separator: ",") + "]",
                isCrowd: annotation.isCrowd, area: annotation.area, segmentation: annotation.segmentation, box: box))
          }
          let stored = try store.recordedCOCORows(sourceID: sourceID, set: item.set)
          if stored.map(\.row) == rows, stored.allSatisfy({ $0.imageID == image.id }) { continue }
          _ = try store.replaceCOCOSet(rows, set: item.set, imageID: image.id, sourceID: sourceID, at: now)
        }
      }
      start += batch.count
    }
    report.problems += problems
    report.boxes = try LayoutImport.storedBoxes(origin: "coco", sourceID: sourceID, catalog: catalog)
    report.crowdRegions = try store.cocoCrowdRegions(sourceID: sourceID)
  }
}
