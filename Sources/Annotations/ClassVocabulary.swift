import Catalog

/// Which class names a decision may give a box (`review relabel`, the review page, a LabelImg import): a
/// closed list, so a typo (`withmask`) is refused with the nearest class instead of becoming a class forever.
public struct ClassPolicy: Sendable, Hashable {
  /// The view in force: its classes (and the found classes it maps to one of them). Nil: the catalog's
  /// classes in use.
  public var view: String?
  /// Any name is allowed (`--new-class`): a new class on purpose.
  public var allowNew = false

  public init(view: String? = nil, allowNew: Bool = false) {
    self.view = view
    self.allowNew = allowNew
  }
}

/// The class names a `ClassPolicy` allows, and the nearest of them to a name it does not.
public struct ClassVocabulary: Sendable, Hashable {
  /// The view the names come from (nil: the catalog's classes in use).
  public var view: String?
  /// The classes offered, as a refusal lists them: the view's classes in order, or the catalog's by name.
  public var classes: [String]
  /// Every name allowed: `classes`, and with a view the found classes it maps to one of them.
  public var allowed: Set<String>

  public init(view: String?, classes: [String], allowed: Set<String>) {
    self.view = view
    self.classes = classes
    self.allowed = allowed.union(classes)
  }

  /// Whether `name` (as the catalog stores it: `Catalog.className`) is allowed.
  public func contains(_ name: String) -> Bool { allowed.contains(Catalog.className(name)) }

  /// The allowed class nearest to `name` (a typo's "did you mean"), nil when none is near.
  public func suggestion(for name: String) -> String? {
    let cleaned = Catalog.className(name)
    return NearestName.closest(to: cleaned, among: classes)
      ?? NearestName.closest(to: cleaned, among: allowed.subtracting(classes).sorted())
  }

  /// Throws `AnnotationsError.unknownClass` (with the suggestion) unless `name` is allowed. The label rule comes
  /// first: a name over `Catalog.maxLabelBytes` is refused with the limit named (`CatalogError.labelTooLong`).
  public func check(_ name: String) throws {
    _ = try Catalog.checkedClassName(name)
    guard !contains(name) else { return }
    throw AnnotationsError.unknownClass(name, suggestion: suggestion(for: name), known: classes, view: view)
  }
}

extension Catalog {
  /// The class names `policy` allows (nil when it allows any name). With a view: the view's classes and the
  /// found classes it maps to one of them; an unknown view throws `AnnotationsError.unknownView`. Without: the
  /// catalog's classes in use (`BoxStore.classesInUse`).
  public func classVocabulary(_ policy: ClassPolicy) throws -> ClassVocabulary? {
    guard !policy.allowNew else { return nil }
    guard let view = policy.view else {
      let classes = try BoxStore(catalog: self).classesInUse()
      return ClassVocabulary(view: nil, classes: classes, allowed: Set(classes))
    }
    guard let definition = try viewDefinition(view) else {
      throw AnnotationsError.unknownView(view, known: try viewNames())
    }
    let mapped = definition.map.compactMap { found, action -> String? in
      if case .map(let target) = action, definition.classes.contains(target) { return found }
      return nil
    }
    return ClassVocabulary(view: view, classes: definition.classes, allowed: Set(mapped))
  }

  /// Throws `AnnotationsError.unknownClass` for each name of `names` the policy does not allow (the first).
  public func checkClasses(_ names: some Sequence<String>, _ policy: ClassPolicy) throws {
    guard let vocabulary = try classVocabulary(policy) else { return }
    for name in names { try vocabulary.check(name) }
  }
}
