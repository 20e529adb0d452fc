// The FieldCore Android library. Needs the Android SDK (and the NDK for build-native.sh);
// not built on the Linux CI machine, which runs the same Kotlin through jvm-test/run.sh.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "fieldcore-android"
include(":fieldcore")
