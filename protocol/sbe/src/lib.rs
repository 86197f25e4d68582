//! SBE codecs generated at build time from schemas/crossbar.xml.
