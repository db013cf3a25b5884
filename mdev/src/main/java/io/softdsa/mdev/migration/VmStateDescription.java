package io.softdsa.mdev.migration;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.ObjIntConsumer;
import java.util.function.ObjLongConsumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

/**
 * Declarative description of one piece of migratable state, in the style of QEMU's {@code VMStateDescription}: a
 * name, {@code version_id} (what this build writes) and {@code minimum_version_id} (the oldest it still reads), one
 * field entry per piece of state (u8/u16/u32/u64, byte blobs, arrays, arrays of structures — each with the version
 * that introduced it), optional subsections written only when their {@code needed} test holds, and a
 * {@code post_load} step that checks and completes the freshly decoded object without touching anything else.
 *
 * <p>Wire format of a body (big-endian): the fields in declaration order, then the subsections that are present, in
 * declaration order, each {@code 0x02 | name length u8 | name | version u32 | body length u32 | body}. A u8/u16 field
 * holds exactly its width; a blob is {@code length u32 | bytes} (fixed blobs have no length); an array is
 * {@code count u32 | elements}; a structure array is {@code element version u32 | count u32 | element bodies}.
 *
 * @param <T> the state object: created fresh by the description's factory for every decode
 */
public final class VmStateDescription<T> {
    static final int SUBSECTION = 0x02;

    /** A section's {@code post_load}: checks the decoded object (throw to refuse it) and rebuilds derived state. */
    @FunctionalInterface
    public interface PostLoad<T> {
        void postLoad(T state, int versionId) throws Exception;
    }

    private final String name;
    private final int versionId;
    private final int minimumVersionId;
    private final Supplier<T> fresh;
    private final List<Field<T>> fields;
    private final List<Subsection<T, ?>> subsections;
    private final PostLoad<T> postLoad;

    private VmStateDescription(Builder<T> b) {
        this.name = b.name;
        this.versionId = b.versionId;
        this.minimumVersionId = b.minimumVersionId;
        this.fresh = b.fresh;
        this.fields = List.copyOf(b.fields);
        this.subsections = List.copyOf(b.subsections);
        this.postLoad = b.postLoad;
    }

    /** Starts a description: {@code name} (ASCII, 1–64 bytes), versions, and the factory of fresh state objects. */
    public static <T> Builder<T> builder(String name, int versionId, int minimumVersionId, Supplier<T> fresh) {
        return new Builder<>(name, versionId, minimumVersionId, fresh);
    }

    public String name() {
        return name;
    }

    public int versionId() {
        return versionId;
    }

    public int minimumVersionId() {
        return minimumVersionId;
    }

    /** Writes {@code state}'s body at this description's version. */
    void writeBody(T state, StreamOut out) {
        for (Field<T> f : fields) {
            f.write(state, out);
        }
        for (Subsection<T, ?> s : subsections) {
            s.writeIfNeeded(state, out);
        }
    }

    /** Reads a whole body (the frame of {@code in}) written at {@code version} into a fresh object. */
    T readBody(StreamIn in, int version, String path) throws MigrationStreamException {
        if (version < minimumVersionId || version > versionId) {
            throw in.fail("version " + version + " outside [" + minimumVersionId + ", " + versionId + "]");
        }
        in.version(version, versionId);
        final T state = fresh.get();
        for (Field<T> f : fields) {
            if (version >= f.since) {
                f.read(state, in);
            }
        }
        final boolean[] present = new boolean[subsections.size()];
        int next = 0;
        while (in.remaining() > 0) {
            final int tag = in.u8();
            if (tag != SUBSECTION) {
                throw in.fail("expected a subsection (0x02) or the end of the body, found 0x" + Integer.toHexString(tag));
            }
            final String sub = readName(in);
            int i = next;
            while (i < subsections.size() && !subsections.get(i).description.name.equals(sub)) {
                i++;
            }
            if (i == subsections.size()) {
                throw in.fail("unknown, repeated or out-of-order subsection '" + sub + "'");
            }
            final int subVersion = in.u32();
            final int oldEnd = in.enter(in.count("subsection length", in.remaining()));
            final String saved = in.section();
            in.section(path + "/" + sub);
            subsections.get(i).read(state, in, subVersion, path + "/" + sub);
            in.section(saved);
            in.leave(oldEnd);
            present[i] = true;
            next = i + 1;
        }
        for (int i = 0; i < subsections.size(); i++) {
            final boolean needed;
            try {
                needed = subsections.get(i).needed.test(state);
            } catch (RuntimeException e) {
                throw new MigrationStreamException(path, in.position(), "needed test failed: " + e, e);
            }
            if (needed != present[i]) {
                throw in.fail("subsection '" + subsections.get(i).description.name + "' "
                    + (present[i] ? "sent although the loaded state does not need it" : "missing but needed"));
            }
        }
        if (postLoad != null) {
            try {
                postLoad.postLoad(state, version);
            } catch (MigrationStreamException e) {
                throw e;
            } catch (Exception e) {
                throw new MigrationStreamException(path, in.position(), "inconsistent state: " + e.getMessage(), e);
            }
        }
        return state;
    }

    static void writeName(String name, StreamOut out) {
        final byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        out.u8(b.length);
        out.bytes(b);
    }

    static String readName(StreamIn in) throws MigrationStreamException {
        final int n = in.u8();
        if (n == 0 || n > 64) {
            throw in.fail("name length " + n + " outside [1, 64]");
        }
        final byte[] b = in.bytes(n);
        for (byte c : b) {
            if (c < 0x21 || c > 0x7E) {
                throw in.fail("name is not printable ASCII");
            }
        }
        return new String(b, StandardCharsets.US_ASCII);
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.length() > 64 || !name.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
            throw new IllegalArgumentException("name must be 1-64 printable ASCII characters: " + name);
        }
    }

    /** One field entry. */
    abstract static class Field<T> {
        final String name;
        final int since;

        Field(String name, int since) {
            this.name = name;
            this.since = since;
        }

        abstract void write(T state, StreamOut out);

        abstract void read(T state, StreamIn in) throws MigrationStreamException;
    }

    private static final class Subsection<T, S> {
        final VmStateDescription<S> description;
        final Predicate<T> needed;
        final Function<T, S> get;
        final BiConsumer<T, S> set;

        Subsection(VmStateDescription<S> description, Predicate<T> needed, Function<T, S> get, BiConsumer<T, S> set) {
            this.description = description;
            this.needed = needed;
            this.get = get;
            this.set = set;
        }

        void writeIfNeeded(T state, StreamOut out) {
            if (!needed.test(state)) {
                return;
            }
            out.u8(SUBSECTION);
            writeName(description.name, out);
            out.u32(description.versionId);
            final int at = out.length();
            out.u32(0);
            description.writeBody(get.apply(state), out);
            out.patchU32(at, out.length() - at - 4);
        }

        void read(T state, StreamIn in, int version, String path) throws MigrationStreamException {
            set.accept(state, description.readBody(in, version, path));
        }
    }

    /** Builds a {@link VmStateDescription}; fields are written and read in the order they are added. */
    public static final class Builder<T> {
        private final String name;
        private final int versionId;
        private final int minimumVersionId;
        private final Supplier<T> fresh;
        private final List<Field<T>> fields = new ArrayList<>();
        private final List<Subsection<T, ?>> subsections = new ArrayList<>();
        private PostLoad<T> postLoad;

        private Builder(String name, int versionId, int minimumVersionId, Supplier<T> fresh) {
            checkName(name);
            if (minimumVersionId < 1 || versionId < minimumVersionId) {
                throw new IllegalArgumentException("versions must satisfy 1 <= minimum_version_id <= version_id");
            }
            this.name = name;
            this.versionId = versionId;
            this.minimumVersionId = minimumVersionId;
            this.fresh = fresh;
        }

        private Builder<T> add(Field<T> f) {
            checkName(f.name);
            if (f.since < 1 || f.since > versionId) {
                throw new IllegalArgumentException("field " + f.name + " since version " + f.since);
            }
            if (!subsections.isEmpty()) {
                throw new IllegalStateException("fields come before subsections");
            }
            fields.add(f);
            return this;
        }

        public Builder<T> u8(String field, ToIntFunction<T> get, ObjIntConsumer<T> set) {
            return u8(field, 1, get, set);
        }

        /** A u8 introduced in version {@code since} (older streams leave the fresh object's value). */
        public Builder<T> u8(String field, int since, ToIntFunction<T> get, ObjIntConsumer<T> set) {
            return intField(field, since, 1, get, set);
        }

        public Builder<T> u16(String field, ToIntFunction<T> get, ObjIntConsumer<T> set) {
            return u16(field, 1, get, set);
        }

        public Builder<T> u16(String field, int since, ToIntFunction<T> get, ObjIntConsumer<T> set) {
            return intField(field, since, 2, get, set);
        }

        public Builder<T> u32(String field, ToIntFunction<T> get, ObjIntConsumer<T> set) {
            return u32(field, 1, get, set);
        }

        public Builder<T> u32(String field, int since, ToIntFunction<T> get, ObjIntConsumer<T> set) {
            return intField(field, since, 4, get, set);
        }

        /** An unsigned field of {@code bytes} (1, 2 or 4) bytes; a value wider than 1 or 2 bytes is refused. */
        private Builder<T> intField(String field, int since, int bytes, ToIntFunction<T> get, ObjIntConsumer<T> set) {
            return add(new Field<>(field, since) {
                void write(T s, StreamOut out) {
                    final int v = get.applyAsInt(s);
                    switch (bytes) {
                        case 1 -> out.u8(checkedWidth(field, v, 0xFF));
                        case 2 -> out.u16(checkedWidth(field, v, 0xFFFF));
                        default -> out.u32(v);
                    }
                }

                void read(T s, StreamIn in) throws MigrationStreamException {
                    set.accept(s, bytes == 1 ? in.u8() : bytes == 2 ? in.u16() : in.u32());
                }
            });
        }

        public Builder<T> u64(String field, ToLongFunction<T> get, ObjLongConsumer<T> set) {
            return u64(field, 1, get, set);
        }

        public Builder<T> u64(String field, int since, ToLongFunction<T> get, ObjLongConsumer<T> set) {
            return add(new Field<>(field, since) {
                void write(T s, StreamOut out) {
                    out.u64(get.applyAsLong(s));
                }

                void read(T s, StreamIn in) throws MigrationStreamException {
                    set.accept(s, in.u64());
                }
            });
        }

        /** A byte blob of 0..{@code maxLength} bytes, with its length. */
        public Builder<T> bytes(String field, int maxLength, Function<T, byte[]> get, BiConsumer<T, byte[]> set) {
            return add(new Field<>(field, 1) {
                void write(T s, StreamOut out) {
                    final byte[] b = get.apply(s);
                    if (b.length > maxLength) {
                        throw new IllegalStateException(field + ": " + b.length + " bytes, bound " + maxLength);
                    }
                    out.u32(b.length);
                    out.bytes(b);
                }

                void read(T s, StreamIn in) throws MigrationStreamException {
                    set.accept(s, in.bytes(in.count(field + " length", maxLength)));
                }
            });
        }

        /** A byte blob of exactly {@code length} bytes (no length on the wire). */
        public Builder<T> fixedBytes(String field, int length, Function<T, byte[]> get, BiConsumer<T, byte[]> set) {
            return add(new Field<>(field, 1) {
                void write(T s, StreamOut out) {
                    final byte[] b = get.apply(s);
                    if (b.length != length) {
                        throw new IllegalStateException(field + ": " + b.length + " bytes, must be " + length);
                    }
                    out.bytes(b);
                }

                void read(T s, StreamIn in) throws MigrationStreamException {
                    set.accept(s, in.bytes(length));
                }
            });
        }

        /** An array of 0..{@code maxCount} u32 values. */
        public Builder<T> u32Array(String field, int maxCount, Function<T, int[]> get, BiConsumer<T, int[]> set) {
            return add(new Field<>(field, 1) {
                void write(T s, StreamOut out) {
                    final int[] a = get.apply(s);
                    checkedCount(field, a.length, maxCount);
                    out.u32(a.length);
                    for (int v : a) {
                        out.u32(v);
                    }
                }

                void read(T s, StreamIn in) throws MigrationStreamException {
                    final long n = in.count(field + " count", maxCount);
                    in.need(n * 4);
                    final int[] a = new int[(int) n];
                    for (int i = 0; i < a.length; i++) {
                        a[i] = in.u32();
                    }
                    set.accept(s, a);
                }
            });
        }

        /** An array of 0..{@code maxCount} u64 values. */
        public Builder<T> u64Array(String field, int maxCount, Function<T, long[]> get, BiConsumer<T, long[]> set) {
            return add(new Field<>(field, 1) {
                void write(T s, StreamOut out) {
                    final long[] a = get.apply(s);
                    checkedCount(field, a.length, maxCount);
                    out.u32(a.length);
                    for (long v : a) {
                        out.u64(v);
                    }
                }

                void read(T s, StreamIn in) throws MigrationStreamException {
                    final long n = in.count(field + " count", maxCount);
                    in.need(n * 8);
                    final long[] a = new long[(int) n];
                    for (int i = 0; i < a.length; i++) {
                        a[i] = in.u64();
                    }
                    set.accept(s, a);
                }
            });
        }

        /**
         * An array of 0..{@code maxCount} structures, each described by {@code element} (fields and post_load only;
         * the element description's version travels once, before the count).
         */
        public <E> Builder<T> structArray(String field, int maxCount, VmStateDescription<E> element,
                                          Function<T, List<E>> get, BiConsumer<T, List<E>> set) {
            if (!element.subsections.isEmpty()) {
                throw new IllegalArgumentException("array elements have no subsections");
            }
            return add(new Field<>(field, 1) {
                void write(T s, StreamOut out) {
                    final List<E> list = get.apply(s);
                    checkedCount(field, list.size(), maxCount);
                    out.u32(element.versionId);
                    out.u32(list.size());
                    for (E e : list) {
                        element.writeBody(e, out);
                    }
                }

                void read(T s, StreamIn in) throws MigrationStreamException {
                    final int version = in.u32();
                    // checked even for an empty array, so that an accepted stream has one encoding (a Jazzer finding)
                    if (version < element.minimumVersionId || version > element.versionId) {
                        throw in.fail(field + ": element version " + version + " outside ["
                            + element.minimumVersionId + ", " + element.versionId + "]");
                    }
                    in.version(version, element.versionId);
                    final long n = in.count(field + " count", maxCount);
                    final List<E> list = new ArrayList<>((int) Math.min(n, 1024));
                    final String saved = in.section();
                    for (long i = 0; i < n; i++) {
                        in.section(saved + "/" + field + "[" + i + "]");
                        list.add(element.readElement(in, version, in.section()));
                    }
                    in.section(saved);
                    set.accept(s, list);
                }
            });
        }

        /** An optional subsection, written only when {@code needed} holds for the state being saved. */
        public <S> Builder<T> subsection(VmStateDescription<S> description, Predicate<T> needed,
                                         Function<T, S> get, BiConsumer<T, S> set) {
            for (Subsection<T, ?> s : subsections) {
                if (s.description.name.equals(description.name)) {
                    throw new IllegalArgumentException("two subsections named " + description.name);
                }
            }
            subsections.add(new Subsection<>(description, needed, get, set));
            return this;
        }

        public Builder<T> postLoad(PostLoad<T> hook) {
            this.postLoad = hook;
            return this;
        }

        public VmStateDescription<T> build() {
            return new VmStateDescription<>(this);
        }
    }

    /** An array element: the fields and post_load of the body, without subsections (it has no frame of its own). */
    T readElement(StreamIn in, int version, String path) throws MigrationStreamException {
        if (version < minimumVersionId || version > versionId) {
            throw in.fail("element version " + version + " outside [" + minimumVersionId + ", " + versionId + "]");
        }
        in.version(version, versionId);
        final T state = fresh.get();
        for (Field<T> f : fields) {
            if (version >= f.since) {
                f.read(state, in);
            }
        }
        if (postLoad != null) {
            try {
                postLoad.postLoad(state, version);
            } catch (MigrationStreamException e) {
                throw e;
            } catch (Exception e) {
                throw new MigrationStreamException(path, in.position(), "inconsistent element: " + e.getMessage(), e);
            }
        }
        return state;
    }

    private static int checkedWidth(String field, int v, int mask) {
        if ((v & ~mask) != 0) {
            throw new IllegalStateException(field + ": value " + v + " does not fit its field");
        }
        return v;
    }

    private static void checkedCount(String field, int n, int max) {
        if (n > max) {
            throw new IllegalStateException(field + ": " + n + " entries, bound " + max);
        }
    }

    @Override
    public String toString() {
        return "VmStateDescription[" + name + " v" + versionId + " (min " + minimumVersionId + "), "
            + fields.size() + " fields, " + subsections.size() + " subsections]";
    }
}
