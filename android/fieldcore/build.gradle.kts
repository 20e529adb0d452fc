// com.fieldcore:fieldcore: the Rust engine (jniLibs for four ABIs), its uniffi-generated Kotlin
// bindings and the coroutine layer. `../build-native.sh` produces the first two; the
// `buildNative` task runs it before every build unless -Pfieldcore.prebuilt=true says the
// outputs are already there (CI artifacts, a release pipeline).
plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

val nativeOut = layout.buildDirectory.dir("rustJniLibs")
val generatedKotlin = layout.buildDirectory.dir("generated/uniffi/kotlin")
val repoRoot = rootProject.projectDir.parentFile

android {
    namespace = "com.fieldcore"
    compileSdk = 35
    // The NDK that build-native.sh uses (r27+ links 16 KB-aligned libraries).
    ndkVersion = "27.2.12479018"

    defaultConfig {
        // java.time (the bindings' dates) and JNA need API 26 without desugaring.
        minSdk = 26
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets["main"].apply {
        java.srcDir(generatedKotlin)
        jniLibs.srcDir(nativeOut)
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    packaging {
        // Uncompressed and 16 KB-aligned in the APK, so the library is mapped straight from it
        // on devices with 16 KB pages (Android 15+).
        jniLibs.useLegacyPackaging = false
    }

    testOptions {
        unitTests.all {
            it.useJUnitPlatform()
            // Unit tests run on the development machine's JVM against its own build of the
            // library (bindings/build-host.sh), like jvm-test/run.sh does.
            it.systemProperty("jna.library.path", File(repoRoot, "target/debug").path)
            it.environment("FIELDCORE_TEST_HOOKS", "1")
        }
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // The AAR variant carries JNA's native part for every Android ABI.
    implementation(libs.jna) { artifact { type = "aar" } }
    implementation(libs.kotlinx.coroutines.core)
    // @RequiresApi in the generated bindings' Android cleaner (uniffi.toml: android = true).
    implementation(libs.androidx.annotation)

    testImplementation(libs.jna)
    testImplementation(libs.kotlin.test.junit5)
    testImplementation(libs.junit.jupiter)
    testRuntimeOnly(libs.junit.platform.launcher)
}

val buildNative by tasks.registering(Exec::class) {
    description = "Builds libfieldcore_ffi.so for four ABIs with cargo-ndk and generates the Kotlin bindings"
    onlyIf { !providers.gradleProperty("fieldcore.prebuilt").isPresent }
    workingDir = repoRoot
    commandLine("bash", "android/build-native.sh", nativeOut.get().asFile.path, generatedKotlin.get().asFile.path)
}

val buildHostLibrary by tasks.registering(Exec::class) {
    description = "Builds the host library the unit tests load"
    workingDir = repoRoot
    commandLine("bash", "bindings/build-host.sh")
}

tasks.named("preBuild") { dependsOn(buildNative) }
tasks.withType<Test>().configureEach { dependsOn(buildHostLibrary) }
