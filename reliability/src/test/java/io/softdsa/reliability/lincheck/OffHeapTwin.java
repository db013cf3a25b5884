package io.softdsa.reliability.lincheck;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.ClassRemapper;
import org.objectweb.asm.commons.SimpleRemapper;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads a "twin" of engine classes for Lincheck's model checker: the very bytecode of the engine class (read from
 * its class file, not re-implemented), renamed into this package, with every off-heap memory access sent through
 * {@link SwitchPoints} so that the checker can interleave threads between any two of them. Nothing else changes:
 * control flow, constants, orderings and the calls between twinned classes stay the engine's.
 * <p>
 * A twin may be given interfaces to implement (whose methods the original already has, with the same signatures), so
 * that tests can call it without reflection; a twin's package-private methods become public for that (the twin lives
 * in this package, not the original's). Rewriting fails loudly if an off-heap access has no switch point, so a new
 * kind of access in the engine cannot slip past the checker unseen. Elements of {@code long[]} (the IOTLB's tables)
 * are routed through switch points too, plain, opaque, acquire, release, volatile and CAS alike.
 * <p>
 * <b>Planted-bug variants</b> ({@link #planted}) are generated from the same bytecode: the production class names
 * each ordering step that a proof must be shown to depend on as a {@code private static final boolean} that is
 * always true (and not a compile-time constant, so javac keeps the read); the variant's twin reads {@code false}
 * for exactly one such flag, and nothing else differs from the production code.
 */
final class OffHeapTwin {
    static final String PREFIX = "Twin";
    private static final String SHIM = Type.getInternalName(SwitchPoints.class);
    private static final String LE = "io/softdsa/memory/Le";
    private static final String SEGMENT = "java/lang/foreign/MemorySegment";
    private static final String VAR_HANDLE = "java/lang/invoke/VarHandle";
    private static final Set<String> SEGMENT_ACCESSES =
        Set.of("get", "set", "fill", "copyFrom", "getAtIndex", "setAtIndex", "copy", "mismatch", "toArray");
    private static final Set<String> VAR_HANDLE_NON_ACCESSES =
        Set.of("toMethodHandle", "accessModeType", "varType", "coordinateTypes", "hasInvokeExactBehavior",
            "withInvokeExactBehavior", "withInvokeBehavior", "isAccessModeSupported", "describeConstable");

    private static final Map<String, Class<?>> DEFINED = new ConcurrentHashMap<>();

    private OffHeapTwin() {
    }

    /**
     * Defines twins of {@code originals} (in order; earlier ones may be referenced by later ones), each implementing
     * the interfaces given for it. Returns the twin classes by original. Idempotent.
     */
    static synchronized Map<Class<?>, Class<?>> define(Map<Class<?>, Class<?>[]> originals) {
        final Map<String, String> names = new LinkedHashMap<>();
        for (Class<?> c : originals.keySet()) {
            names.put(Type.getInternalName(c), twinName(c));
        }
        final Map<Class<?>, Class<?>> result = new LinkedHashMap<>();
        for (Map.Entry<Class<?>, Class<?>[]> e : originals.entrySet()) {
            final Class<?> original = e.getKey();
            final String twin = names.get(Type.getInternalName(original));
            Class<?> defined = DEFINED.get(twin);
            if (defined == null) {
                final byte[] bytes = rewrite(read(original), names, e.getValue(), null);
                try {
                    defined = MethodHandles.lookup().defineClass(bytes);
                } catch (IllegalAccessException ex) {
                    throw new IllegalStateException(ex);
                }
                DEFINED.put(twin, defined);
            }
            result.put(original, defined);
        }
        return result;
    }

    /** A single class's twin. */
    static Class<?> define(Class<?> original, Class<?>... interfaces) {
        final Map<Class<?>, Class<?>[]> one = new LinkedHashMap<>();
        one.put(original, interfaces);
        return define(one).get(original);
    }

    /**
     * The twin of {@code original} with its ordering-step flag {@code flag} (a {@code static final boolean} that is
     * true in production) reading false: a planted-bug variant of the production code, differing in that one step.
     */
    static synchronized Class<?> planted(Class<?> original, String flag, Class<?>... interfaces) {
        return plantedWith(original, flag, null, interfaces);
    }

    /**
     * As {@link #planted}, calling the twin of {@code partner} (defined with {@link #define} first) where the
     * original calls {@code partner}: a planted class and the twinned class it drives, checked together.
     */
    static synchronized Class<?> plantedWith(Class<?> original, String flag, Class<?> partner,
                                             Class<?>... interfaces) {
        final String twin = twinName(original) + "_Without_" + flag;
        Class<?> defined = DEFINED.get(twin);
        if (defined == null) {
            final Map<String, String> names = new LinkedHashMap<>();
            names.put(Type.getInternalName(original), twin);
            if (partner != null) {
                names.put(Type.getInternalName(partner), twinName(partner));
            }
            final byte[] bytes = rewrite(read(original), names, interfaces, flag);
            try {
                defined = MethodHandles.lookup().defineClass(bytes);
            } catch (IllegalAccessException ex) {
                throw new IllegalStateException(ex);
            }
            DEFINED.put(twin, defined);
        }
        return defined;
    }

    /** How many off-heap accesses of {@code original}'s bytecode the twin routes through a switch point. */
    static int countAccesses(Class<?> original) {
        final int[] count = new int[1];
        new ClassReader(read(original)).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String n, String d, boolean itf) {
                        if (shimFor(opcode, owner, n, d) != null) {
                            count[0]++;
                        }
                    }
                };
            }
        }, 0);
        return count[0];
    }

    private static String twinName(Class<?> c) {
        return Type.getInternalName(OffHeapTwin.class).replace("OffHeapTwin", PREFIX + c.getSimpleName());
    }

    private static byte[] read(Class<?> c) {
        final String resource = Type.getInternalName(c) + ".class";
        try (InputStream in = c.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("class file not found: " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] rewrite(byte[] original, Map<String, String> names, Class<?>[] interfaces,
                                  String plantedFlag) {
        final ClassReader reader = new ClassReader(original);
        final String twinName = names.get(reader.getClassName());
        final boolean[] flagFound = new boolean[1];
        final ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        final ClassVisitor shim = new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public void visit(int version, int access, String name, String signature, String superName,
                              String[] itfs) {
                final Set<String> all = new LinkedHashSet<>(Arrays.asList(itfs));
                for (Class<?> i : interfaces) {
                    all.add(Type.getInternalName(i));
                }
                super.visit(version, access, name, signature, superName, all.toArray(String[]::new));
            }

            // the twin stands alone: no nest or inner-class ties to the original's nestmates
            @Override
            public void visitNestHost(String nestHost) {
            }

            @Override
            public void visitNestMember(String nestMember) {
            }

            @Override
            public void visitInnerClass(String name, String outerName, String innerName, int access) {
            }

            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                final boolean packagePrivate =
                    (access & (Opcodes.ACC_PUBLIC | Opcodes.ACC_PRIVATE | Opcodes.ACC_PROTECTED)) == 0;
                final int twinAccess = packagePrivate && !name.equals("<clinit>") ? access | Opcodes.ACC_PUBLIC
                    : access;
                return new MethodVisitor(Opcodes.ASM9, super.visitMethod(twinAccess, name, descriptor, signature,
                    exceptions)) {
                    @Override
                    public void visitFieldInsn(int opcode, String owner, String n, String d) {
                        if (opcode == Opcodes.GETSTATIC && n.equals(plantedFlag) && owner.equals(twinName)
                            && d.equals("Z")) {
                            flagFound[0] = true;
                            super.visitInsn(Opcodes.ICONST_0); // the planted bug: this ordering step is skipped
                            return;
                        }
                        super.visitFieldInsn(opcode, owner, n, d);
                    }

                    @Override
                    public void visitInsn(int opcode) {
                        if (opcode == Opcodes.LALOAD) {
                            super.visitMethodInsn(Opcodes.INVOKESTATIC, SHIM, "laload", "([JI)J", false);
                        } else if (opcode == Opcodes.LASTORE) {
                            super.visitMethodInsn(Opcodes.INVOKESTATIC, SHIM, "lastore", "([JIJ)V", false);
                        } else {
                            super.visitInsn(opcode);
                        }
                    }

                    @Override
                    public void visitMethodInsn(int opcode, String owner, String n, String d, boolean itf) {
                        final String shimDescriptor = shimFor(opcode, owner, n, d);
                        if (shimDescriptor == null) {
                            super.visitMethodInsn(opcode, owner, n, d, itf);
                            return;
                        }
                        final String shimName = shimName(owner, n, d);
                        requireShim(shimName, shimDescriptor, owner);
                        super.visitMethodInsn(Opcodes.INVOKESTATIC, SHIM, shimName, shimDescriptor, false);
                    }
                };
            }
        };
        reader.accept(new ClassRemapper(shim, new SimpleRemapper(Opcodes.ASM9, names)), 0);
        if (plantedFlag != null && !flagFound[0]) {
            throw new IllegalStateException(reader.getClassName() + " reads no ordering-step flag " + plantedFlag
                + ": the planted variant would be the production code itself");
        }
        return writer.toByteArray();
    }

    /** The descriptor of the switch-point method replacing this call, or null if it is no off-heap access. */
    private static String shimFor(int opcode, String owner, String name, String descriptor) {
        if (owner.equals(LE) && opcode == Opcodes.INVOKESTATIC) {
            return descriptor;
        }
        if (owner.equals(SEGMENT) && SEGMENT_ACCESSES.contains(name)) {
            return opcode == Opcodes.INVOKESTATIC ? descriptor : "(L" + SEGMENT + ";" + descriptor.substring(1);
        }
        if (owner.equals(VAR_HANDLE) && opcode == Opcodes.INVOKEVIRTUAL && !VAR_HANDLE_NON_ACCESSES.contains(name)) {
            if (fieldOfObject(descriptor)) {
                // a field of a (twinned) object: one shim per access, the receiver as Object (the handle adapts)
                final Type[] args = Type.getArgumentTypes(descriptor);
                args[0] = Type.getType(Object.class);
                return "(L" + VAR_HANDLE + ";" + Type.getMethodDescriptor(Type.getReturnType(descriptor), args)
                    .substring(1);
            }
            return "(L" + VAR_HANDLE + ";" + descriptor.substring(1);
        }
        return null;
    }

    /** A VarHandle call on an object's field (its first coordinate neither a segment nor an array). */
    private static boolean fieldOfObject(String descriptor) {
        final Type[] args = Type.getArgumentTypes(descriptor);
        return args.length > 0 && args[0].getSort() == Type.OBJECT && !args[0].getInternalName().equals(SEGMENT);
    }

    /**
     * The switch-point method's name: the call's own, except for a VarHandle read-modify-write whose result the call
     * site drops (its polymorphic signature then returns void, and Java cannot overload on the return type alone).
     */
    private static String shimName(String owner, String name, String descriptor) {
        if (owner.equals(VAR_HANDLE) && fieldOfObject(descriptor) && name.startsWith("get")
            && descriptor.endsWith(")I")) {
            return name + "Int"; // an int field's read: Java cannot overload on the return type alone
        }
        return owner.equals(VAR_HANDLE) && descriptor.endsWith(")V") && name.startsWith("get") ? name + "Void" : name;
    }

    private static void requireShim(String name, String descriptor, String owner) {
        for (Method m : SwitchPoints.class.getMethods()) {
            if (m.getName().equals(name) && Modifier.isStatic(m.getModifiers())
                && Type.getMethodDescriptor(m).equals(descriptor)) {
                return;
            }
        }
        throw new IllegalStateException("no switch point for " + owner + "." + name + descriptor
            + ": add it to SwitchPoints so the model checker sees this off-heap access");
    }
}
