import Foundation
import GRDB

/// Reading a column of a row that came from disk. GRDB's subscript (`row["height"]`) traps
/// when the value is NULL or of another type — a damaged database would kill the node (issue
/// 14: SIGILL on the first read of a lost block). Every read of stored data goes through this
/// accessor instead, which throws `StorageError.corrupt` naming the record and column.
extension Row {
    func stored<Value: DatabaseValueConvertible>(_ column: String, of what: @autoclosure () -> String,
                                                 as type: Value.Type = Value.self) throws(StorageError) -> Value {
        // The message names the record, the column and the type; not GRDB's dump of the row.
        do { return try decode(Value.self, forColumn: column) } catch {
            throw .corrupt(what: "\(what()): column \(column) is missing, NULL or not \(Value.self)")
        }
    }

    /// The same by column index, for hot paths that read thousands of rows: no name lookup.
    func stored<Value: DatabaseValueConvertible>(at index: Int, of what: @autoclosure () -> String,
                                                 as type: Value.Type = Value.self) throws(StorageError) -> Value {
        guard index < count else { throw .corrupt(what: "\(what()): no column \(index)") }
        do { return try decode(Value.self, atIndex: index) } catch {
            throw .corrupt(what: "\(what()): column \(index) is NULL or not \(Value.self)")
        }
    }

    /// A nullable column: NULL is nil; a value of the wrong type is still corruption.
    func storedIfPresent<Value: DatabaseValueConvertible>(_ column: String, of what: @autoclosure () -> String,
                                                          as type: Value.Type = Value.self) throws(StorageError) -> Value? {
        do { return try decode(Value?.self, forColumn: column) } catch {
            throw .corrupt(what: "\(what()): column \(column) is not \(Value.self)")
        }
    }
}
