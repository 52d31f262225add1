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
// A roster's first non-blank row is its header (up to five one-cell title
// rows such as "和平区社区社会组织花名册" may stand above it). Each header
// cell names a record field by its JSON name ("founded", any case) or its
// Chinese label ("成立日期"), optionally marked required ("成立日期*",
// "成立日期（必填）"); see registry.Fields. Unknown columns, a field named
// twice and missing required columns are refused with the list of
// accepted headers. Every data row must carry an id: the external id that
// makes a re-import of the same file an update rather than a duplicate.
//
// Cells are read by field type: whole numbers ("12", "1,200", "12.0");
// yes/no as 是/否, true/false, 1/0, yes/no; dates as 2021-03-05, 2021/3/5,
// 2021.3.5, 2021年3月5日 or, in .xlsx, real Excel dates; enums as the ASCII
// value or the Chinese label. A .csv must be UTF-8 (a byte-order mark is
// allowed); GBK files are refused with a hint to re-save them.
package importer
