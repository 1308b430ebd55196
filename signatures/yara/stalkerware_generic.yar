/*
  techsafe team rules (shipped with techsafe; licence as the project).

  stalkerware_accessibility_sms_generic
  Targets: Android DEX code that does all four things stalkerware does and
  ordinary apps do not do together:
    1. reads other apps' screens through an accessibility service
       (AccessibilityService + getRootInActiveWindow / window-content events),
    2. aims at messaging apps (package ids of at least two messengers),
    3. intercepts incoming SMS (SMS_RECEIVED + createFromPdu/getMessageBody)
       and sends SMS itself (sendTextMessage / sendMultipartTextMessage),
    4. hides its launcher icon (setComponentEnabledSetting).
  Each group alone is common (screen readers, SMS apps, launchers); requiring
  all of them keeps false positives low. A match is reported as "code typical
  of stalkerware" (high), not as a named family.
*/

rule stalkerware_accessibility_sms_generic
{
    meta:
        family = "Unknown stalkerware (generic pattern)"
        heuristic = true
        description = "it reads other apps' screens through accessibility, intercepts and sends SMS, and can hide its icon"
        author = "techsafe"

    strings:
        $acc1 = "Landroid/accessibilityservice/AccessibilityService;" ascii
        $acc2 = "getRootInActiveWindow" ascii
        $acc3 = "TYPE_WINDOW_CONTENT_CHANGED" ascii
        $acc4 = "Landroid/view/accessibility/AccessibilityNodeInfo;" ascii

        $msg1 = "com.whatsapp" ascii
        $msg2 = "org.telegram.messenger" ascii
        $msg3 = "com.facebook.orca" ascii
        $msg4 = "com.viber.voip" ascii
        $msg5 = "com.instagram.android" ascii
        $msg6 = "com.snapchat.android" ascii
        $msg7 = "org.thoughtcrime.securesms" ascii

        $smsin1 = "android.provider.Telephony.SMS_RECEIVED" ascii
        $smsin2 = "createFromPdu" ascii
        $smsin3 = "getMessageBody" ascii
        $smsout1 = "sendTextMessage" ascii
        $smsout2 = "sendMultipartTextMessage" ascii

        $hide = "setComponentEnabledSetting" ascii

    condition:
        uint32(0) == 0x0a786564 and
        $acc1 and 2 of ($acc2, $acc3, $acc4) and
        2 of ($msg*) and
        $smsin1 and 1 of ($smsin2, $smsin3) and 1 of ($smsout*) and
        $hide
}
