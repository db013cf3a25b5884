package io.softdsa.reliability.lincheck;

/** Prints what Lincheck reported for a broken variant, up to its detailed trace (which runs to pages). */
final class LincheckReport {
    private LincheckReport() {
    }

    static void print(String variant, AssertionError failure) {
        final String message = String.valueOf(failure.getMessage());
        final int cut = message.indexOf("Detailed trace:");
        System.out.println("[lincheck] " + variant + ", as Lincheck reports it:\n"
            + (cut > 0 ? message.substring(0, cut) : message));
    }
}
