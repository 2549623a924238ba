# Sourced by build.sh and certify.sh. Java (and so Maven) reads file names in the locale's charset: under
# LC_ALL=C it cannot open a kit in a folder named with letters such as æøå. A locale whose charset is not
# UTF-8 is replaced by C.UTF-8 for the commands run from here.
if [[ $(locale charmap 2>/dev/null) != UTF-8 ]]; then
    export LC_ALL=C.UTF-8
fi
