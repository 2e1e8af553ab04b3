// maven-archetype-plugin checks validationRegex only when it prompts; with -DinteractiveMode=false
// (the documented command) a name such as invoice-api would be generated into a proto package
// protoc refuses much later. Check the names here, once, and say which one and why.
def props = request.properties
String problem = null
String service = props.getProperty('serviceName')
String resource = props.getProperty('resourceName')
if (service == null || !(service ==~ /[a-z][a-z0-9]*/)) {
  String valid = (service ?: '').toLowerCase().replaceAll('[^a-z0-9]', '')
      .replaceAll('^[0-9]+', '')
  problem = 'serviceName "' + service + '" must be lower-case letters and digits, starting with' +
      ' a letter (it is the proto package, the route prefix and a DNS label); pass e.g.' +
      ' -DserviceName=' + (valid ?: 'orders')
} else if (resource == null || !(resource ==~ /[a-z][a-z0-9]*/)) {
  // checked only when serviceName is valid: by default it is serviceName without a trailing s
  problem = 'resourceName "' + resource + '" must be lower-case letters and digits, starting' +
      ' with a letter (it names the message, the service class and the error reasons); pass' +
      ' e.g. -DresourceName=order'
}
if (problem != null) {
  File generated = new File(request.outputDirectory, request.artifactId)
  generated.deleteDir()   // nothing half-usable is left behind
  // generated inside a parent with packaging pom, the plugin has already added the module to it
  File parent = new File(request.outputDirectory, 'pom.xml')
  if (parent.isFile()) {
    String pom = parent.getText('UTF-8')
    String entry = '<module>' + request.artifactId + '</module>'
    int at = pom.indexOf(entry)
    if (at >= 0) {
      int lineStart = pom.lastIndexOf('\n', at) + 1
      int lineEnd = pom.indexOf('\n', at)
      boolean alone = pom.substring(lineStart, at).trim().isEmpty() &&
          (lineEnd < 0 ? '' : pom.substring(at + entry.length(), lineEnd)).trim().isEmpty()
      pom = alone && lineEnd >= 0 ? pom.substring(0, lineStart) + pom.substring(lineEnd + 1) :
          pom.substring(0, at) + pom.substring(at + entry.length())
      parent.write(pom, 'UTF-8')
    }
  }
  throw new IllegalArgumentException(problem + ' (' + generated + ' removed)')
}
