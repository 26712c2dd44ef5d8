import Foundation
import Synchronization
import Testing

@testable import Parallel

@Suite("concurrentMap")
struct ConcurrentMapTests {
  @Test("results come back in the order of the items, whatever order the workers finish in")
  func ordered() {
    let items = Array(0..<500)
    let squares = concurrentMap(items, workers: 4) { item -> Int in
      if item % 7 == 0 { usleep(200) }  // some items finish late
      return item * item
    }
    #expect(squares == items.map { $0 * $0 })
  }

  @Test("every item runs exactly once, on at most `workers` threads at a time")
  func onceEachBoundedWorkers() {
    let running = Mutex<(now: Int, peak: Int)>((0, 0))
    let calls = Mutex<[Int]>([])
    _ = concurrentMap(Array(0..<64), workers: 3) { item -> Int in
      running.withLock {
        $0.now += 1
        $0.peak = max($0.peak, $0.now)
      }
      usleep(500)
      running.withLock { $0.now -= 1 }
      calls.withLock { $0.append(item) }
      return item
    }
    #expect(calls.withLock { $0.sorted() } == Array(0..<64))
    #expect(running.withLock { $0.peak } <= 3)
    #expect(running.withLock { $0.peak } >= 1)
  }

  @Test("one failing item is its own failure; the others succeed, in order")
  func errorsPerItem() {
    struct Bad: Error, Equatable { let item: Int }
    let results = concurrentResults(Array(0..<10), workers: 2) { item -> String in
      if item == 3 || item == 8 { throw Bad(item: item) }
      return "#\(item)"
    }
    #expect(results.count == 10)
    for (item, result) in results.enumerated() {
      switch result {
      case .success(let text):
        #expect(item != 3 && item != 8)
        #expect(text == "#\(item)")
      case .failure(let error):
        #expect(error as? Bad == Bad(item: item))
      }
    }
  }

  @Test("empty input, one worker and more workers than items")
  func edges() {
    #expect(concurrentMap([Int](), workers: 4) { $0 }.isEmpty)
    #expect(concurrentMap([1, 2, 3], workers: 1) { $0 + 1 } == [2, 3, 4])
    #expect(concurrentMap([1, 2], workers: 16) { $0 * 10 } == [10, 20])
    #expect(concurrentMap([5], workers: 0) { $0 } == [5])
  }
}
