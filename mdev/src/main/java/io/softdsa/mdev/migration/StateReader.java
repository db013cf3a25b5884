package io.softdsa.mdev.migration;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict, total decoder of a device-state stream written by {@link StateWriter}. Sections must come in the order they
 * are registered here (the first one — the compatibility section — first, and its check runs before anything after
 * it is looked at); an unknown section, a repeated or out-of-order one, a missing mandatory one, a version outside
 * [minimum_version_id, version_id], truncation, a length beyond its bound, bytes after the end marker or a state that
 * fails a post_load or the whole-stream check are a {@link MigrationStreamException} naming the section and offset.
 * Decoding fills fresh objects only: nothing is applied anywhere unless the whole stream validated.
 *
 * <p>A {@code RuntimeException} thrown by a description's accessors, post_load or checks (a bug, or a state no check
 * foresaw) is reported as a {@link MigrationStreamException} too, so the caller sees one kind of refusal.
 */
public final class StateReader {
    /** The compatibility check of the first section: throw to refuse the source device. */
    @FunctionalInterface
    public interface Acceptance<T> {
        void accept(T first) throws Exception;
    }

    /** A consistency check across sections, run after the end marker: throw to refuse the stream. */
    @FunctionalInterface
    public interface StreamCheck {
        void check(DecodedState state) throws Exception;
    }

    private record Entry(VmStateDescription<?> description, boolean mandatory) {
    }

    private final long maxBytes;
    private final List<Entry> entries = new ArrayList<>();
    private Acceptance<Object> acceptance;
    private StreamCheck streamCheck;

    public StateReader() {
        this(StateWriter.DEFAULT_MAX_BYTES);
    }

    public StateReader(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The section that must come first, and the check the destination makes before accepting anything else. */
    @SuppressWarnings("unchecked")
    public <T> StateReader first(VmStateDescription<T> description, Acceptance<T> check) {
        if (!entries.isEmpty()) {
            throw new IllegalStateException("the first section is registered first");
        }
        entries.add(new Entry(description, true));
        this.acceptance = (Acceptance<Object>) check;
        return this;
    }

    /** The next section in stream order; a mandatory one must be present. */
    public <T> StateReader section(VmStateDescription<T> description, boolean mandatory) {
        for (Entry e : entries) {
            if (e.description.name().equals(description.name())) {
                throw new IllegalArgumentException("section '" + description.name() + "' registered twice");
            }
        }
        entries.add(new Entry(description, mandatory));
        return this;
    }

    public StateReader validate(StreamCheck check) {
        this.streamCheck = check;
        return this;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public DecodedState decode(byte[] stream) throws MigrationStreamException {
        return decode(stream, stream.length);
    }

    /** Decodes {@code stream[0, length)}, the whole stream. */
    public DecodedState decode(byte[] stream, int length) throws MigrationStreamException {
        if (length > maxBytes) {
            throw new MigrationStreamException(null, maxBytes, "stream of " + length + " bytes beyond its bound "
                + maxBytes);
        }
        final StreamIn in = new StreamIn(stream, length);
        try {
            return decode(in);
        } catch (RuntimeException e) {
            throw new MigrationStreamException(in.section(), in.position(), "refused: " + e, e);
        }
    }

    /**
     * Looks at the beginning of a stream still arriving: null if the header and the first section are not complete
     * yet, else the first section, decoded and accepted by the check.
     */
    @SuppressWarnings("unchecked")
    public <T> T peekFirst(byte[] buffer, int length) throws MigrationStreamException {
        if (entries.isEmpty()) {
            throw new IllegalStateException("no sections registered");
        }
        final StreamIn in = new StreamIn(buffer, (int) Math.min(length, maxBytes));
        try {
            if (length < 8 + 1 + 1) {
                if (length >= 8) {
                    header(in);
                }
                return null;
            }
            header(in);
            // section tag, name, version, body length: complete the frame before decoding it
            if (in.u8() != StateWriter.SECTION) {
                throw in.fail("the first section ('" + entries.get(0).description.name() + "') must come first");
            }
            final int nameLength = in.u8();
            if (in.remaining() < nameLength + 8) {
                return null;
            }
            in.bytes(nameLength);
            in.u32();
            final long body = in.u32() & 0xFFFF_FFFFL;
            if (body > maxBytes) {
                throw in.fail("section length " + body + " beyond the stream bound");
            }
            if (in.remaining() < body) {
                return null;
            }
            final StreamIn again = new StreamIn(buffer, (int) (in.position() + body));
            header(again);
            final Object first = readSection(again, entries.get(0));
            accept(again, first);
            return (T) first;
        } catch (RuntimeException e) {
            throw new MigrationStreamException(in.section(), in.position(), "refused: " + e, e);
        }
    }

    private static void header(StreamIn in) throws MigrationStreamException {
        final int magic = in.u32();
        if (magic != StateWriter.MAGIC) {
            throw new MigrationStreamException(null, 0, "not a softdsa device state stream (magic 0x"
                + Integer.toHexString(magic) + ")");
        }
        final int format = in.u32();
        if (format != StateWriter.FORMAT_VERSION) {
            throw new MigrationStreamException(null, 4, "stream format " + format + ", this build reads "
                + StateWriter.FORMAT_VERSION);
        }
    }

    private DecodedState decode(StreamIn in) throws MigrationStreamException {
        if (entries.isEmpty()) {
            throw new IllegalStateException("no sections registered");
        }
        header(in);
        final Map<String, Object> sections = new LinkedHashMap<>();
        int next = 0;
        int count = 0;
        for (;;) {
            final int sectionStart = in.position();
            final int tag = in.u8();
            if (tag == StateWriter.END) {
                in.section(null);
                final int claimed = in.u32();
                if (claimed != count) {
                    throw in.fail("end marker counts " + claimed + " sections, the stream had " + count);
                }
                if (in.remaining() != 0) {
                    throw in.fail(in.remaining() + " bytes of trailing garbage after the end marker");
                }
                break;
            }
            if (tag != StateWriter.SECTION) {
                throw in.fail("expected a section (0x01) or the end marker (0xFF), found 0x" + Integer.toHexString(tag));
            }
            // peek the name to find the entry, then read the frame from its start
            final String name = VmStateDescription.readName(in);
            int i = next;
            while (i < entries.size() && !entries.get(i).description.name().equals(name)) {
                i++;
            }
            if (i == entries.size()) {
                in.section(name);
                final boolean known = entries.stream().anyMatch(e -> e.description.name().equals(name));
                throw new MigrationStreamException(name, sectionStart, known ? "duplicate or out-of-order section"
                    : "unknown section");
            }
            if (count == 0 && i != 0) {
                throw new MigrationStreamException(name, sectionStart, "the compatibility section '"
                    + entries.get(0).description.name() + "' must come first");
            }
            for (int j = next; j < i; j++) {
                if (entries.get(j).mandatory) {
                    throw new MigrationStreamException(name, sectionStart, "mandatory section '"
                        + entries.get(j).description.name() + "' missing before it");
                }
            }
            final Object state = readBodyAfterName(in, entries.get(i), name);
            if (i == 0) {
                accept(in, state);
            }
            sections.put(name, state);
            count++;
            next = i + 1;
        }
        for (int j = next; j < entries.size(); j++) {
            if (entries.get(j).mandatory) {
                throw new MigrationStreamException(entries.get(j).description.name(), in.position(),
                    "mandatory section missing");
            }
        }
        final DecodedState decoded = new DecodedState(sections, !in.olderVersion());
        if (streamCheck != null) {
            try {
                streamCheck.check(decoded);
            } catch (MigrationStreamException e) {
                throw e;
            } catch (Exception e) {
                throw new MigrationStreamException(null, in.position(), "inconsistent state: " + e.getMessage(), e);
            }
        }
        return decoded;
    }

    private Object readSection(StreamIn in, Entry entry) throws MigrationStreamException {
        final int start = in.position();
        if (in.u8() != StateWriter.SECTION) {
            throw new MigrationStreamException(entry.description.name(), start, "not a section");
        }
        final String name = VmStateDescription.readName(in);
        if (!name.equals(entry.description.name())) {
            throw new MigrationStreamException(name, start, "the compatibility section '"
                + entry.description.name() + "' must come first");
        }
        return readBodyAfterName(in, entry, name);
    }

    private static Object readBodyAfterName(StreamIn in, Entry entry, String name) throws MigrationStreamException {
        in.section(name);
        final int version = in.u32();
        final int oldEnd = in.enter(in.count("section length", in.remaining()));
        final Object state = entry.description.readBody(in, version, name);
        in.leave(oldEnd);
        return state;
    }

    private void accept(StreamIn in, Object first) throws MigrationStreamException {
        if (acceptance == null) {
            return;
        }
        try {
            acceptance.accept(first);
        } catch (MigrationStreamException e) {
            throw e;
        } catch (Exception e) {
            throw new MigrationStreamException(entries.get(0).description.name(), in.position(),
                "incompatible source device: " + e.getMessage(), e);
        }
    }
}
