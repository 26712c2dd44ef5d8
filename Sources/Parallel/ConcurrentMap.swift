import Foundation
import Synchronization

/// The one way datasetkit runs work in parallel: `transform` applied to every element of `items` on
/// `workers` threads, each taking the next unclaimed index, with the results in the order of `items`.
///
/// Blocks until every element is done. `transform` must not throw: a caller that wants an error per item
/// (one bad file never sinks a batch) returns a `Result`, or uses ``concurrentResults(_:workers:_:)``.
/// With one worker (or one item) the work runs on the calling thread.
public func concurrentMap<T: Sendable, R: Sendable>(
  _ items: [T], workers: Int = defaultWorkerCount, _ transform: @escaping @Sendable (T) -> R
) -> [R] {
  let count = items.count
  guard count > 0 else { return [] }
  let threads = max(1, min(workers, count))
  if threads == 1 { return items.map(transform) }
  let results = ResultBuffer<R>(count: count)
  let next = NextIndex()
  let worker: @Sendable () -> Void = {
    while true {
      let index = next.claim()
      guard index < count else { return }
      results.store(transform(items[index]), at: index)
    }
  }
  // Plain threads, the caller's being one of them: they inherit the process's scheduling priority (Dispatch's
  // pool threads do not, so `nice` would not reach the work), and more threads than cores (work that mostly
  // waits on I/O) really run at once.
  let done = DispatchGroup()
  for _ in 1..<threads {
    done.enter()
    let thread = Thread {
      worker()
      done.leave()
    }
    thread.stackSize = 8 << 20
    thread.start()
  }
  worker()
  done.wait()
  return results.values()
}

/// ``concurrentMap(_:workers:_:)`` with an error per item: `.failure` for the items whose `transform`
/// threw, in the order of `items`; the others go on.
public func concurrentResults<T: Sendable, R: Sendable>(
  _ items: [T], workers: Int = defaultWorkerCount, _ transform: @escaping @Sendable (T) throws -> R
) -> [Result<R, any Error>] {
  concurrentMap(items, workers: workers) { item in Result { try transform(item) } }
}

/// One worker per core.
public var defaultWorkerCount: Int { ProcessInfo.processInfo.activeProcessorCount }

/// The results of one `concurrentMap`, written by its workers, one index each, and read once they have all
/// finished (`concurrentMap` waits for every thread). A raw allocation: an `Array` would be moved out and
/// back by every `withUnsafeMutableBufferPointer`, which races when threads do it at once. Private to this
/// file, so no other code can share it between threads.
private final class ResultBuffer<R: Sendable>: @unchecked Sendable {
  private let storage: UnsafeMutablePointer<R?>
  private let count: Int

  init(count: Int) {
    self.count = count
    storage = UnsafeMutablePointer<R?>.allocate(capacity: count)
    storage.initialize(repeating: nil, count: count)
  }

  deinit {
    storage.deinitialize(count: count)
    storage.deallocate()
  }

  func store(_ value: R, at index: Int) {
    precondition(index >= 0 && index < count, "result index out of range")
    (storage + index).pointee = value
  }

  /// Every result, in order; call only after all workers finished.
  func values() -> [R] {
    (0..<count).map { index in
      guard let value = storage[index] else { preconditionFailure("concurrentMap: item \(index) produced no result") }
      return value
    }
  }
}

/// The next unclaimed index of one `concurrentMap`.
private final class NextIndex: Sendable {
  private let value = Atomic<Int>(0)
  /// Claims the next index.
  func claim() -> Int { value.add(1, ordering: .relaxed).oldValue }
}
