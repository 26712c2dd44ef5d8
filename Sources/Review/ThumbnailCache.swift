import Dispatch
import Foundation

/// Runs blocking work (decoding, resizing) on its own threads, at most `slots` at a time, so the Swift
/// concurrency pool — which answers every other request of the page — is never blocked by a decode. A
/// caller cancelled while it waits for a slot leaves the queue without running anything.
actor DecodeLimiter {
  private let slots: Int
  private var busy = 0
  private var waiting: [(id: UInt64, need: Int, continuation: CheckedContinuation<Void, any Error>)] = []
  private var nextID: UInt64 = 0
  private let queue = DispatchQueue(label: "datasetkit.review.decode", attributes: .concurrent)

  init(slots: Int) { self.slots = max(1, slots) }

  /// Runs `work` on a decode thread once `weight` slots are free (a large image takes them all, so two huge
  /// decodes never run at once); throws `CancellationError` when the calling task is cancelled before its turn.
  /// First come, first served.
  func run<T: Sendable>(weight: Int = 1, _ work: @escaping @Sendable () throws -> T) async throws -> T {
    let need = max(1, min(weight, slots))
    try await acquire(need)
    defer { release(need) }
    try Task.checkCancellation()
    return try await withCheckedThrowingContinuation { continuation in
      queue.async { continuation.resume(with: Result { try work() }) }
    }
  }

  /// The slots of a decode of `pixels` pixels: all of them from 40 megapixels up.
  func weight(pixels: Int) -> Int { pixels >= 40_000_000 ? slots : 1 }

  /// Slots in use and requests waiting (for tests).
  var load: (busy: Int, waiting: Int) { (busy, waiting.count) }

  private func acquire(_ need: Int) async throws {
    if waiting.isEmpty && busy + need <= slots {
      busy += need
      return
    }
    nextID += 1
    let id = nextID
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        if Task.isCancelled {
          continuation.resume(throwing: CancellationError())
        } else {
          waiting.append((id, need, continuation))
        }
      }
    } onCancel: {
      Task { await self.cancel(id) }
    }
  }

  private func cancel(_ id: UInt64) {
    guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
    waiting.remove(at: index).continuation.resume(throwing: CancellationError())
    wake()
  }

  private func release(_ need: Int) {
    busy -= need
    wake()
  }

  private func wake() {
    while let first = waiting.first, busy + first.need <= slots {
      busy += first.need
      waiting.removeFirst().continuation.resume()
    }
  }
}

/// Thumbnails made once: the finished JPEGs in memory up to a byte budget (least recently used leave first),
/// and one computation per key however many requests ask for it at once. When every request waiting for a
/// computation has gone (its client closed the connection), the computation is cancelled; if it has not
/// started yet it never runs.
actor ThumbnailCache {
  private struct Entry {
    var bytes: [UInt8]
    var used: UInt64
  }

  private final class Flight: @unchecked Sendable {
    let task: Task<[UInt8], any Error>
    var waiters = 0
    init(task: Task<[UInt8], any Error>) { self.task = task }
  }

  private let budget: Int
  private var entries: [String: Entry] = [:]
  private var size = 0
  private var clock: UInt64 = 0
  private var flights: [String: Flight] = [:]
  /// Computations started (a test counts them: 200 requests for one thumbnail start one).
  private(set) var computed = 0

  init(budget: Int) { self.budget = max(0, budget) }

  /// The cached thumbnail of `key`, or the one `make` computes (once, shared by every caller asking meanwhile).
  func thumbnail(_ key: String, make: @escaping @Sendable () async throws -> [UInt8]) async throws -> [UInt8] {
    clock += 1
    if var entry = entries[key] {
      entry.used = clock
      entries[key] = entry
      return entry.bytes
    }
    let flight: Flight
    if let running = flights[key] {
      flight = running
    } else {
      computed += 1
      flight = Flight(task: Task { try await make() })
      flights[key] = flight
    }
    flight.waiters += 1
    let result: Result<[UInt8], any Error>
    do {
      let bytes = try await withTaskCancellationHandler {
        try await flight.task.value
      } onCancel: {
        Task { await self.leave(key, flight) }
      }
      result = .success(bytes)
    } catch {
      result = .failure(error)
    }
    flight.waiters -= 1
    if flights[key] === flight, flight.task.isCancelled || flight.waiters == 0 {
      flights[key] = nil
    }
    let bytes = try result.get()
    store(key, bytes)
    return bytes
  }

  /// A waiter's client went away: when nobody else waits, the computation is cancelled.
  private func leave(_ key: String, _ flight: Flight) {
    if flight.waiters <= 1 {
      flight.task.cancel()
      if flights[key] === flight { flights[key] = nil }
    }
  }

  private func store(_ key: String, _ bytes: [UInt8]) {
    guard bytes.count <= budget, entries[key] == nil else { return }
    entries[key] = Entry(bytes: bytes, used: clock)
    size += bytes.count
    while size > budget, let oldest = entries.min(by: { $0.value.used < $1.value.used }) {
      size -= oldest.value.bytes.count
      entries[oldest.key] = nil
    }
  }

  /// Thumbnails held and their bytes.
  var usage: (count: Int, bytes: Int) { (entries.count, size) }
}
