// maven-archetype-plugin checks validationRegex only when it prompts; with -DinteractiveMode=false
// (the documented command) a name such as invoice-api would be generated into a proto package
// protoc refuses much later. Check the names here, once, and say which one and why.
def props = request.properties
def problems = []
['serviceName', 'resourceName'].each { key ->
  String value = props.getProperty(key)
  if (value == null || !(value ==~ /[a-z][a-z0-9]*/)) {
    problems << (key + ' "' + value + '" must be lower-case letters and digits, starting with a'
        + ' letter (it becomes a proto package, class names and a DNS label); pass e.g. -D'
        + key + '=' + ((value ?: 'orders').toLowerCase().replaceAll('[^a-z0-9]', '')
            .replaceAll('^[0-9]+', '') ?: 'orders'))
  }
}
if (!problems.isEmpty()) {
  File generated = new File(request.outputDirectory, request.artifactId)
  generated.deleteDir()   // nothing half-usable is left behind
  throw new IllegalArgumentException(problems.join('; ') + ' (' + generated + ' removed)')
}
