"""placeholder until implemented"""
