// Android conveniences over FieldCore: where the database lives. Compiled only by the Gradle
// module (it uses android.content.Context); the JVM harness leaves this folder out.
package com.fieldcore.android

import android.content.Context
import com.fieldcore.FieldCore
import java.io.File
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers

/**
 * The database file FieldCore uses for this app: in [Context.getNoBackupFilesDir], which is
 * private to the app and never copied by Auto Backup or device-to-device transfer (a restored
 * copy would carry another device's identity and unsynced work). Its photos go to
 * `fieldcore.db.blobs/` beside it, so they are excluded too.
 */
fun Context.fieldCoreDatabase(name: String = "fieldcore.db"): File = File(noBackupFilesDir, name)

/** Opens this app's FieldCore store (see [fieldCoreDatabase]) for [user], off the main thread. */
suspend fun Context.openFieldCore(
    user: String,
    name: String = "fieldcore.db",
    dispatcher: CoroutineDispatcher = Dispatchers.IO,
): FieldCore = FieldCore.open(fieldCoreDatabase(name).path, user, dispatcher)
