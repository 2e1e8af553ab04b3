// Run by archetype:integration-test after goal.txt: checks what the generated project's own
// build cannot, the text the template engine produced.
// the plugin binds basedir to this test's directory; the project is generated below it
File project = new File(basedir as File, 'project/orders')
File readme = new File(project, 'README.md')
assert readme.isFile() : 'no generated README at ' + readme + '; bound: ' + binding.variables.keySet()
String text = readme.text
// Velocity reads a line starting with ## as a comment: every heading must survive generation
['Run', 'Call it', 'Test', 'Layout', 'Add a method', 'Replace the in-memory store', 'Deploy'].each {
  assert text.contains('\n## ' + it + '\n') : 'generated README.md lacks the heading "## ' + it + '"'
}
assert text.startsWith('# orders\n') : 'generated README.md starts with: ' + text.take(40)
assert !text.contains('${') : 'generated README.md has an unresolved ${...}'
return true
