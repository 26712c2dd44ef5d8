import Catalog

/// AutoFace's tables behind one type: `detection_runs` and the boxes a detector proposes. Every SQL statement on
/// them lives in this store (and its `DetectionStore+*.swift` extensions); the rest of the module, and modules
/// above it, call its methods.
public struct DetectionStore {
  public let catalog: Catalog
  var database: Database { catalog.database }

  public init(catalog: Catalog) { self.catalog = catalog }
}

/// A detector's run over an image that ended without an error.
public struct DetectionRun: Sendable, Hashable {
  /// The detector's `DetectorIdentity.key`.
  public var detectorKey: String
  public var imageID: Int64
}

/// A box a detector proposed, as stored: whatever its status now.
public struct StoredProposal: Sendable, Hashable {
  public var imageID: Int64
  public var rect: Box
  public var score: Double
  /// The detector's name (the box's origin).
  public var origin: String?
  /// `name version` of the detector.
  public var detector: String?
  /// The detector's parameters (canonical JSON).
  public var parameters: String?
}

extension DetectionStore {
  /// The images a detector with this key searched without an error.
  public func imagesSearched(byKey key: String) throws -> Set<Int64> {
    Set(
      try database.rows("SELECT image_id FROM detection_runs WHERE detector_key = ? AND error IS NULL", [.text(key)]) {
        $0.int64(0)
      })
  }

  /// Stores a face as a `proposed` box of detector `identity` on an image, with the class `classID` (nil: none)
  /// and its landmarks to a tenth of a pixel.
  public func addProposal(
    _ face: FaceDetection, image: Int64, identity: DetectorIdentity, classID: Int64?, at time: String
  ) throws {
    let b = face.box
    try database.run(
      """
      INSERT INTO boxes (image_id, xmin, ymin, xmax, ymax, origin, detector, detector_params, score, status,
        created_at, landmarks, class_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?, ?, ?)
      """,
      [
        .int(image), .real(Double(b.x)), .real(Double(b.y)), .real(Double(b.x + b.width)),
        .real(Double(b.y + b.height)), .text(identity.name), .text("\(identity.name) \(identity.version)"),
        .text(identity.parameters), .real(face.score), .text(time),
        face.landmarks.map { .text(canonicalJSON($0.map { ($0 * 10).rounded() / 10 })) } ?? .null,
        classID.map { .int($0) } ?? .null,
      ])
  }

  /// Records that the detector with this key searched an image and found `faces` faces (replacing an earlier run).
  public func recordRun(image: Int64, detectorKey key: String, faces: Int, at time: String) throws {
    try database.run(
      "INSERT OR REPLACE INTO detection_runs (image_id, detector_key, faces, error, created_at) VALUES (?, ?, ?, NULL, ?)",
      [.int(image), .text(key), .int(Int64(faces)), .text(time)])
  }

  /// Records that the detector with this key failed on an image, and why (the next run tries it again).
  public func recordFailedRun(image: Int64, detectorKey key: String, error message: String, at time: String) throws {
    try database.run(
      "INSERT OR REPLACE INTO detection_runs (image_id, detector_key, faces, error, created_at) VALUES (?, ?, 0, ?, ?)",
      [.int(image), .text(key), .text(message), .text(time)])
  }

  /// Every detector run that ended without an error.
  public func successfulRuns() throws -> [DetectionRun] {
    try database.rows("SELECT detector_key, image_id FROM detection_runs WHERE error IS NULL") {
      DetectionRun(detectorKey: $0.text(0) ?? "", imageID: $0.int64(1))
    }
  }

  /// The boxes proposed by the detector with this key (`name version parameters`), whatever their status.
  public func proposals(detectorKey key: String) throws -> [StoredProposal] {
    try database.rows(
      """
      SELECT image_id, xmin, ymin, xmax, ymax, score, origin, detector, detector_params FROM boxes
      WHERE detector IS NOT NULL AND detector || ' ' || detector_params = ?
      """, [.text(key)]
    ) {
      StoredProposal(
        imageID: $0.int64(0), rect: Box(xmin: $0.double(1), ymin: $0.double(2), xmax: $0.double(3), ymax: $0.double(4)),
        score: $0.double(5), origin: $0.text(6), detector: $0.text(7), parameters: $0.text(8))
    }
  }
}
