# Written by Maven (compile) from src/launcher/settings.sh; read by bin/imagestream.
# The same JVM settings as 'mvn exec:exec@cli', declared once in pom.xml.
IMAGESTREAM_JVM_OPTS='${jvm.opens} -Dlog4j2.configurationFile=${project.basedir}/src/main/resources/log4j2-cli.properties -Dimagestream.localstack.dir=${localstack.dir}'
IMAGESTREAM_CLASSES='${project.build.outputDirectory}'
