// Stub of androidx.annotation.RequiresApi for the JVM harness: the generated bindings'
// Android cleaner is annotated with it. Lint reads it on Android; nothing reads it here.
package androidx.annotation

@Retention(AnnotationRetention.BINARY)
@Target(AnnotationTarget.CLASS, AnnotationTarget.FUNCTION, AnnotationTarget.CONSTRUCTOR)
annotation class RequiresApi(val value: Int = 1, val api: Int = 1)
