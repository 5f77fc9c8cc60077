// Package docs holds hermes-init's documentation for people: the pages in
// this directory, which README.md indexes. It has no code. Its test keeps
// the repository's documents honest about the files they name: it fails
// when a Markdown link points at a file or heading that does not exist, or
// when a document, a Go comment or a script names a Markdown file that is
// not in the repository.
package docs
