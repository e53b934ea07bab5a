import AgoraNode
print("agora")
