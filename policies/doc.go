// Package policies reads and checks the federation's policy files, the
// three YAML files maintainers keep in the governance repo:
//
//   - coops.yml: the member co-ops and the repos they connect, the members
//     with their forge identities (forge:login), emails and dated
//     memberships, and the maintainers;
//   - scoring.yml: the credit per fact kind, multipliers by label and repo,
//     caps per member and period, exclusions, and how co-authors share;
//   - governance.yml: the labels the bot sets, the vote profiles, and the
//     automation rules that open votes on pull requests by themselves.
//
// Parse (or LoadDir, for a directory) decodes the three files strictly and
// validates them together. It returns either a valid Set or every mistake
// it found, each an Error with the file, the 1-based line and column, and
// a message that says what to write instead:
//
//	coops.yml:12:15: membership of alice: coop "outlandsh" is not defined in coops; define it under coops or use one of: outlandish, agile-collective
//
// Unknown keys are errors, and so are YAML aliases and merge keys: each
// value is written out where people read it.
//
// Numbers that feed scores and tallies (weights, multipliers, caps, quorums
// and thresholds) are Milli values, exact decimals with three places, so
// that a credit of 0.5 stays 0.5 through any sum. Dates are UTC midnight; a
// membership's until day is included. Durations are written 7d, 36h or 90m.
//
// A Set is identified by its Version: the SHA-256 of the three files (see
// ContentVersion), which a loader reading from git may replace with the
// commit SHA. Schema returns the JSON Schema (draft 2020-12) of each file
// for editors; Parse checks everything the schemas check, and what they
// cannot express: unique ids, identities and emails, references between
// files, overlapping memberships and configured forge names.
//
// The directory examples holds a complete, valid federation to start from.
package policies
