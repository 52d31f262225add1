// Package importer reads and writes rosters: the .csv and .xlsx files in
// which street offices keep their community social organizations,
// activities, projects and talents.
//
// Reading is streaming: Open checks the file (size, encoding, header) and
// Reader.Next returns one data row at a time as a validated registry.Record
// or a *RowError naming the row and the column, so a 100,000-row roster
// never has to sit in memory as records. Writing (WriteCSV, WriteXLSX)
// produces files that Open reads back to the same records.
//
// A roster's first row is its header. Each header cell names a record field
// by its JSON name ("founded") or its Chinese label ("成立日期"); see
// registry.Fields. Every data row must carry an id: the external id that
// makes a re-import of the same file an update rather than a duplicate.
package importer
